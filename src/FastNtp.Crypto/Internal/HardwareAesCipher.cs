using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastNtp.Crypto.Internal;

/// <summary>An expanded key (in its owner object or on the stack) bound to the CPU's AES instructions.</summary>
internal readonly ref struct HardwareAesCipher : IAesCipher
{
    private readonly ref Vector128<byte> _rk;
    private readonly int _rounds;

    public HardwareAesCipher(ref AesRoundKeys keys, int rounds)
    {
        _rk = ref keys[0];
        _rounds = rounds;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<byte> Encrypt(Vector128<byte> block) => AesHardware.Encrypt(ref _rk, _rounds, block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Encrypt2(ref Vector128<byte> a, ref Vector128<byte> b) => AesHardware.Encrypt2(ref _rk, _rounds, ref a, ref b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Encrypt4(ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d) =>
        AesHardware.Encrypt4(ref _rk, _rounds, ref a, ref b, ref c, ref d);

    public void Ctr<TCounter>(Vector128<byte> counter, ReadOnlySpan<byte> source, Span<byte> destination)
        where TCounter : struct, ICounterBlock
    {
        Vector128<uint> ctr = TCounter.Swap(counter).AsUInt32();
        Vector128<uint> one = TCounter.One;
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint offset = 0;
        Blocks8 ks = default;
        ref Vector128<byte> k = ref ks[0];

        while (length - offset >= 128)
        {
            // Counter increments are independent vector adds; only the AES rounds carry latency.
            k = TCounter.Swap(ctr.AsByte());
            Unsafe.Add(ref k, 1) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 2) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 3) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 4) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 5) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 6) = TCounter.Swap((ctr += one).AsByte());
            Unsafe.Add(ref k, 7) = TCounter.Swap((ctr += one).AsByte());
            ctr += one;
            AesHardware.Encrypt8(ref _rk, _rounds, ref ks);

            ref byte s = ref Unsafe.Add(ref src, offset);
            ref byte d = ref Unsafe.Add(ref dst, offset);
            (Vector128.LoadUnsafe(ref s) ^ k).StoreUnsafe(ref d);
            (Vector128.LoadUnsafe(ref s, 16) ^ Unsafe.Add(ref k, 1)).StoreUnsafe(ref d, 16);
            (Vector128.LoadUnsafe(ref s, 32) ^ Unsafe.Add(ref k, 2)).StoreUnsafe(ref d, 32);
            (Vector128.LoadUnsafe(ref s, 48) ^ Unsafe.Add(ref k, 3)).StoreUnsafe(ref d, 48);
            (Vector128.LoadUnsafe(ref s, 64) ^ Unsafe.Add(ref k, 4)).StoreUnsafe(ref d, 64);
            (Vector128.LoadUnsafe(ref s, 80) ^ Unsafe.Add(ref k, 5)).StoreUnsafe(ref d, 80);
            (Vector128.LoadUnsafe(ref s, 96) ^ Unsafe.Add(ref k, 6)).StoreUnsafe(ref d, 96);
            (Vector128.LoadUnsafe(ref s, 112) ^ Unsafe.Add(ref k, 7)).StoreUnsafe(ref d, 112);
            offset += 128;
        }

        nuint remaining = length - offset;
        if (remaining == 0)
        {
            return;
        }

        // Fewer than eight blocks left: make only as many key-stream blocks as needed, still in parallel.
        int blocks = (int)((remaining + 15) / 16);
        for (int i = 0; i < blocks; i++)
        {
            Unsafe.Add(ref k, i) = TCounter.Swap(ctr.AsByte());
            ctr += one;
        }

        if (blocks == 1)
        {
            k = AesHardware.Encrypt(ref _rk, _rounds, k);
        }
        else if (blocks == 2)
        {
            AesHardware.Encrypt2(ref _rk, _rounds, ref k, ref Unsafe.Add(ref k, 1));
        }
        else if (blocks <= 4)
        {
            AesHardware.Encrypt4(ref _rk, _rounds, ref k, ref Unsafe.Add(ref k, 1), ref Unsafe.Add(ref k, 2), ref Unsafe.Add(ref k, 3));
        }
        else
        {
            AesHardware.Encrypt8(ref _rk, _rounds, ref ks);
        }

        CtrTail.Xor(ref Unsafe.Add(ref src, offset), ref Unsafe.Add(ref dst, offset), remaining, ref ks);
    }
}

internal static class CtrTail
{
    /// <summary>XORs the last (fewer than 128) bytes with the key stream held in <paramref name="keyStream"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Xor(ref byte src, ref byte dst, nuint length, ref Blocks8 keyStream)
    {
        ref byte ks = ref Unsafe.As<Vector128<byte>, byte>(ref keyStream[0]);
        nuint i = 0;
        for (; i + 16 <= length; i += 16)
        {
            (Vector128.LoadUnsafe(ref src, i) ^ Vector128.LoadUnsafe(ref ks, i)).StoreUnsafe(ref dst, i);
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dst, i) = (byte)(Unsafe.Add(ref src, i) ^ Unsafe.Add(ref ks, i));
        }
    }
}
