using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using FastNtp.Crypto.Internal;

namespace FastNtp.Crypto;

/// <summary>
/// AEAD_AES_128_GCM_SIV (RFC 8452), NTS algorithm 30: 16-byte key, 12-byte nonce, output C || T.
/// Each message derives its own POLYVAL and AES key from the key-generating key and the nonce.
/// </summary>
/// <remarks>
/// The hardware path allocates nothing. The portable path re-keys the framework's AES for every
/// message, which allocates a small native-cipher wrapper per call; it is only the fallback for CPUs
/// without AES and carry-less multiply instructions.
/// </remarks>
public sealed class AesGcmSiv : Aead
{
    /// <summary>The nonce is exactly 12 bytes (RFC 8452 section 4).</summary>
    public const int NonceSize = 12;

    /// <summary>The key-generating key is 16 bytes for AEAD_AES_128_GCM_SIV.</summary>
    public const int KeySize = 16;

    private readonly PortableAes? _keyGeneratingPortable;
    private readonly PortableAes? _messagePortable;
    private AesRoundKeys _keyGeneratingKeys;
    private bool _disposed;

    /// <summary>Creates a key object.</summary>
    /// <exception cref="ArgumentException">The key is not 16 bytes.</exception>
    public AesGcmSiv(ReadOnlySpan<byte> key)
        : this(key, AesBackend.Default)
    {
    }

    internal AesGcmSiv(ReadOnlySpan<byte> key, AesImplementation implementation)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"{AeadAlgorithm.Aes128GcmSiv} needs a {KeySize}-byte key, got {key.Length} bytes.", nameof(key));
        }

        if (implementation == AesImplementation.Hardware)
        {
            if (!AesHardware.IsSupported)
            {
                throw new PlatformNotSupportedException("This CPU has no AES and carry-less multiply instructions.");
            }

            AesHardware.ExpandKey(key, ref _keyGeneratingKeys);
        }
        else
        {
            _keyGeneratingPortable = new PortableAes(key);
            _messagePortable = new PortableAes(stackalloc byte[KeySize]);
        }
    }

    public override AeadAlgorithm Algorithm => AeadAlgorithm.Aes128GcmSiv;

    public override int NonceLength => NonceSize;

    internal bool IsPortable => _keyGeneratingPortable is not null;

    /// <summary>Byte 15's top bit: cleared in the tag input, set in the initial counter.</summary>
    private static Vector128<byte> TopBit => Vector128.Create(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80);

    /// <inheritdoc/>
    public override void Seal(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> plaintext,
        Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Vector128<byte> n = LoadNonce(nonce);
        Span<byte> output = CheckSealArguments(nonce, associatedData, plaintext, destination);
        if (_keyGeneratingPortable is null)
        {
            AesRoundKeys messageKeys = default;
            var polyval = new PolyvalHardware(DeriveKeysHardware(n, ref messageKeys), PolyvalMath.BlockCount(associatedData.Length, plaintext.Length));
            SealCore(new HardwareAesCipher(ref messageKeys, 10), ref polyval, n, associatedData, plaintext, output);
            Block.Wipe(ref messageKeys);
            Block.Wipe(ref polyval);
        }
        else
        {
            var polyval = new PolyvalPortable(DeriveKeysPortable(n));
            SealCore(new PortableAesCipher(_messagePortable!), ref polyval, n, associatedData, plaintext, output);
            Block.Wipe(ref polyval);
        }
    }

    /// <inheritdoc/>
    public override bool Open(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> sealedData,
        Span<byte> plaintextDestination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Vector128<byte> n = LoadNonce(nonce);
        if (sealedData.Length < TagLength)
        {
            return false;
        }

        Span<byte> plaintext = CheckOpenArguments(nonce, associatedData, sealedData, plaintextDestination);
        ReadOnlySpan<byte> ciphertext = sealedData[..^TagLength];
        var tag = Vector128.Create(sealedData[^TagLength..]);
        bool authentic;
        if (_keyGeneratingPortable is null)
        {
            AesRoundKeys messageKeys = default;
            var polyval = new PolyvalHardware(DeriveKeysHardware(n, ref messageKeys), PolyvalMath.BlockCount(associatedData.Length, plaintext.Length));
            authentic = OpenCore(new HardwareAesCipher(ref messageKeys, 10), ref polyval, n, associatedData, ciphertext, tag, plaintext);
            Block.Wipe(ref messageKeys);
            Block.Wipe(ref polyval);
        }
        else
        {
            var polyval = new PolyvalPortable(DeriveKeysPortable(n));
            authentic = OpenCore(new PortableAesCipher(_messagePortable!), ref polyval, n, associatedData, ciphertext, tag, plaintext);
            Block.Wipe(ref polyval);
        }

        if (!authentic)
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return authentic;
    }

    /// <inheritdoc/>
    public override void SetKey(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckKeyLength(AeadAlgorithm.Aes128GcmSiv, key);
        if (_keyGeneratingPortable is null)
        {
            // AES-128 round keys overwrite the same 11 slots the old key filled.
            AesHardware.ExpandKey(key, ref _keyGeneratingKeys);
        }
        else
        {
            _keyGeneratingPortable.Rekey(key);
        }
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Span<Vector128<byte>> keys = _keyGeneratingKeys;
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(keys));
        _keyGeneratingPortable?.Dispose();
        _messagePortable?.Dispose();
    }

    /// <summary>The 12-byte nonce in bytes 0..11 of a block, zeros after.</summary>
    private static Vector128<byte> LoadNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"An AES-GCM-SIV nonce is exactly {NonceSize} bytes, got {nonce.Length}.", nameof(nonce));
        }

        return Vector128.Create(
            BinaryPrimitives.ReadUInt64LittleEndian(nonce),
            BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..])).AsByte();
    }

    /// <summary>The key-derivation inputs LE32(i) || nonce for i = 0..3 (RFC 8452 section 4, AES-128).</summary>
    private static void DerivationBlocks(
        Vector128<byte> nonce,
        out Vector128<byte> b0, out Vector128<byte> b1, out Vector128<byte> b2, out Vector128<byte> b3)
    {
        Vector128<uint> shifted = Vector128.Shuffle(nonce, Vector128.Create((byte)16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)).AsUInt32();
        b0 = shifted.AsByte();
        b1 = (shifted | Vector128.Create(1u, 0u, 0u, 0u)).AsByte();
        b2 = (shifted | Vector128.Create(2u, 0u, 0u, 0u)).AsByte();
        b3 = (shifted | Vector128.Create(3u, 0u, 0u, 0u)).AsByte();
    }

    /// <summary>Keeps the first 8 bytes of each of two derivation outputs: one derived 16-byte key.</summary>
    private static Vector128<byte> Concatenate8(Vector128<byte> first, Vector128<byte> second) =>
        Vector128.Create(first.AsUInt64().ToScalar(), second.AsUInt64().ToScalar()).AsByte();

    /// <summary>The per-message authentication and encryption keys (RFC 8452 section 4), for tests.</summary>
    internal void DeriveKeys(ReadOnlySpan<byte> nonce, out Vector128<byte> authenticationKey, out Vector128<byte> encryptionKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DeriveKeys(LoadNonce(nonce), out authenticationKey, out encryptionKey);
    }

    private void DeriveKeys(Vector128<byte> nonce, out Vector128<byte> authenticationKey, out Vector128<byte> encryptionKey)
    {
        DerivationBlocks(nonce, out Vector128<byte> b0, out Vector128<byte> b1, out Vector128<byte> b2, out Vector128<byte> b3);
        if (_keyGeneratingPortable is null)
        {
            new HardwareAesCipher(ref _keyGeneratingKeys, 10).Encrypt4(ref b0, ref b1, ref b2, ref b3);
        }
        else
        {
            new PortableAesCipher(_keyGeneratingPortable).Encrypt4(ref b0, ref b1, ref b2, ref b3);
        }

        authenticationKey = Concatenate8(b0, b1);
        encryptionKey = Concatenate8(b2, b3);
    }

    /// <summary>Derives the message keys; the encryption key is expanded into <paramref name="messageKeys"/>.</summary>
    private Vector128<byte> DeriveKeysHardware(Vector128<byte> nonce, ref AesRoundKeys messageKeys)
    {
        DeriveKeys(nonce, out Vector128<byte> authenticationKey, out Vector128<byte> encryptionKey);
        AesHardware.Expand128(encryptionKey, ref messageKeys);
        Block.Wipe(ref encryptionKey);
        return authenticationKey;
    }

    /// <summary>Derives the message keys; the encryption key goes into the reusable portable cipher.</summary>
    private Vector128<byte> DeriveKeysPortable(Vector128<byte> nonce)
    {
        DeriveKeys(nonce, out Vector128<byte> authenticationKey, out Vector128<byte> encryptionKey);
        _messagePortable!.Rekey(MemoryMarshal.AsBytes(new ReadOnlySpan<Vector128<byte>>(ref encryptionKey)));
        Block.Wipe(ref encryptionKey);
        return authenticationKey;
    }

    private static void SealCore<TCipher, TPolyval>(
        TCipher cipher, ref TPolyval polyval, Vector128<byte> nonce,
        ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> output)
        where TCipher : IAesCipher, allows ref struct
        where TPolyval : struct, IPolyval
    {
        Vector128<byte> tag = cipher.Encrypt(TagInput(ref polyval, nonce, associatedData, plaintext));
        cipher.Ctr<GcmSivCounter>(tag | TopBit, plaintext, output);
        tag.StoreUnsafe(ref output[plaintext.Length]);
    }

    private static bool OpenCore<TCipher, TPolyval>(
        TCipher cipher, ref TPolyval polyval, Vector128<byte> nonce,
        ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Vector128<byte> tag, Span<byte> plaintext)
        where TCipher : IAesCipher, allows ref struct
        where TPolyval : struct, IPolyval
    {
        cipher.Ctr<GcmSivCounter>(tag | TopBit, ciphertext, plaintext);
        Vector128<byte> expected = cipher.Encrypt(TagInput(ref polyval, nonce, associatedData, plaintext));
        return Block.FixedTimeEquals(expected, tag);
    }

    /// <summary>POLYVAL(AD || P || lengths), XORed with the nonce, top bit of byte 15 cleared.</summary>
    private static Vector128<byte> TagInput<TPolyval>(
        ref TPolyval polyval, Vector128<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
        where TPolyval : struct, IPolyval
    {
        polyval.Update(associatedData);
        polyval.Update(plaintext);
        polyval.UpdateBlock(Vector128.Create((ulong)associatedData.Length * 8, (ulong)plaintext.Length * 8).AsByte());
        return Vector128.AndNot(polyval.Result ^ nonce, TopBit);
    }
}
