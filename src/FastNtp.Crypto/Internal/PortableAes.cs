using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// AES for CPUs without AES instructions: the framework's AES in ECB mode (OpenSSL on Linux, which is
/// constant-time with or without AES-NI). One reusable encryptor and scratch buffers per key, so a call
/// allocates nothing; each call still crosses into native code, which is why this is only the fallback.
/// </summary>
internal sealed class PortableAes : IDisposable
{
    public const int ScratchBlocks = 16;

    private readonly Aes _aes;
    private readonly byte[] _input = new byte[ScratchBlocks * 16];
    private readonly byte[] _output = new byte[ScratchBlocks * 16];
    private ICryptoTransform _encryptor;

    public PortableAes(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _aes.SetKey(key);
        _encryptor = _aes.CreateEncryptor();
    }

    /// <summary>
    /// Replaces the key (GCM-SIV derives one per message; <see cref="Aead.SetKey"/> re-keys the whole object).
    /// The framework's key setter and a new encryptor allocate a native context: acceptable on the fallback only.
    /// </summary>
    public void Rekey(ReadOnlySpan<byte> key)
    {
        _encryptor.Dispose();
        _aes.SetKey(key);
        _encryptor = _aes.CreateEncryptor();
    }

    public ref byte Input => ref MemoryMarshal.GetArrayDataReference(_input);

    public ref byte Output => ref MemoryMarshal.GetArrayDataReference(_output);

    /// <summary>Encrypts the first <paramref name="blocks"/> blocks of <see cref="Input"/> into <see cref="Output"/>.</summary>
    public void EncryptScratch(int blocks)
    {
        int written = _encryptor.TransformBlock(_input, 0, blocks * 16, _output, 0);
        if (written != blocks * 16)
        {
            throw new CryptographicException("The platform AES-ECB transform returned a short block.");
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_input);
        CryptographicOperations.ZeroMemory(_output);
        _encryptor.Dispose();
        _aes.Dispose();
    }
}

/// <summary>A <see cref="PortableAes"/> seen through <see cref="IAesCipher"/>.</summary>
internal readonly struct PortableAesCipher(PortableAes aes) : IAesCipher
{
    public Vector128<byte> Encrypt(Vector128<byte> block)
    {
        block.StoreUnsafe(ref aes.Input);
        aes.EncryptScratch(1);
        return Vector128.LoadUnsafe(ref aes.Output);
    }

    public void Encrypt2(ref Vector128<byte> a, ref Vector128<byte> b)
    {
        a.StoreUnsafe(ref aes.Input);
        b.StoreUnsafe(ref aes.Input, 16);
        aes.EncryptScratch(2);
        a = Vector128.LoadUnsafe(ref aes.Output);
        b = Vector128.LoadUnsafe(ref aes.Output, 16);
    }

    public void Encrypt4(ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d)
    {
        a.StoreUnsafe(ref aes.Input);
        b.StoreUnsafe(ref aes.Input, 16);
        c.StoreUnsafe(ref aes.Input, 32);
        d.StoreUnsafe(ref aes.Input, 48);
        aes.EncryptScratch(4);
        a = Vector128.LoadUnsafe(ref aes.Output);
        b = Vector128.LoadUnsafe(ref aes.Output, 16);
        c = Vector128.LoadUnsafe(ref aes.Output, 32);
        d = Vector128.LoadUnsafe(ref aes.Output, 48);
    }

    public void Ctr<TCounter>(Vector128<byte> counter, ReadOnlySpan<byte> source, Span<byte> destination)
        where TCounter : struct, ICounterBlock
    {
        Vector128<uint> ctr = TCounter.Swap(counter).AsUInt32();
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint offset = 0;
        while (offset < length)
        {
            // Up to sixteen counter blocks per native call.
            nuint chunk = Math.Min(length - offset, PortableAes.ScratchBlocks * 16);
            int blocks = (int)((chunk + 15) / 16);
            for (int i = 0; i < blocks; i++)
            {
                TCounter.Swap(ctr.AsByte()).StoreUnsafe(ref aes.Input, (nuint)(16 * i));
                ctr += TCounter.One;
            }

            aes.EncryptScratch(blocks);
            ref byte ks = ref aes.Output;
            ref byte s = ref Unsafe.Add(ref src, offset);
            ref byte d = ref Unsafe.Add(ref dst, offset);
            nuint i2 = 0;
            for (; i2 + 16 <= chunk; i2 += 16)
            {
                (Vector128.LoadUnsafe(ref s, i2) ^ Vector128.LoadUnsafe(ref ks, i2)).StoreUnsafe(ref d, i2);
            }

            for (; i2 < chunk; i2++)
            {
                Unsafe.Add(ref d, i2) = (byte)(Unsafe.Add(ref s, i2) ^ Unsafe.Add(ref ks, i2));
            }

            offset += chunk;
        }
    }
}
