using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// AES encryption on the CPU's AES instructions: AES-NI (AESENC/AESENCLAST) on x86, AESE/AESMC on Arm64.
/// Only the forward cipher exists because SIV, CMAC, CTR and GCM-SIV never decrypt a block.
/// </summary>
/// <remarks>
/// <c>X86Aes.IsSupported</c> and <c>ArmAes.IsSupported</c> are JIT-time constants, so every method
/// compiles to one straight instruction sequence for the running CPU.
/// </remarks>
internal static class AesHardware
{
    /// <summary>True when this CPU can run the hardware path: AES rounds plus carry-less multiply (for POLYVAL).</summary>
    public static bool IsSupported =>
        (X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported) || ArmAes.IsSupported;

    /// <summary>Expands a 16, 24 or 32-byte key (FIPS 197 section 5.2) and returns the number of rounds.</summary>
    public static int ExpandKey(ReadOnlySpan<byte> key, ref AesRoundKeys keys)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("An AES key is 16, 24 or 32 bytes.", nameof(key));
        }

        if (X86Aes.IsSupported && key.Length == 16)
        {
            // GCM-SIV expands a fresh AES-128 key for every message: keep that path short.
            Expand128X86(Vector128.Create(key), ref keys);
            return 10;
        }

        return ExpandGeneric(key, ref keys);
    }

    /// <summary>Expands an AES-128 key held in a register (the GCM-SIV per-message key never touches memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Expand128(Vector128<byte> key, ref AesRoundKeys keys)
    {
        if (X86Aes.IsSupported)
        {
            Expand128X86(key, ref keys);
            return;
        }

        Span<byte> bytes = stackalloc byte[16];
        key.CopyTo(bytes);
        ExpandGeneric(bytes, ref keys);
        bytes.Clear();
    }

    private static void Expand128X86(Vector128<byte> k, ref AesRoundKeys keys)
    {
        // AESKEYGENASSIST needs its round constant as an immediate, hence the unrolled sequence.
        ref Vector128<byte> rk = ref keys[0];
        rk = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x01)); Unsafe.Add(ref rk, 1) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x02)); Unsafe.Add(ref rk, 2) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x04)); Unsafe.Add(ref rk, 3) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x08)); Unsafe.Add(ref rk, 4) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x10)); Unsafe.Add(ref rk, 5) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x20)); Unsafe.Add(ref rk, 6) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x40)); Unsafe.Add(ref rk, 7) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x80)); Unsafe.Add(ref rk, 8) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x1B)); Unsafe.Add(ref rk, 9) = k;
        k = Step128(k, X86Aes.KeygenAssist(k, 0x36)); Unsafe.Add(ref rk, 10) = k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Step128(Vector128<byte> k, Vector128<byte> assist)
    {
        // Word 3 of the assist is RotWord(SubWord(w3)) ^ rcon; the three shifts form the running XOR w0, w0^w1, ...
        assist = Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        return k ^ assist;
    }

    /// <summary>FIPS 197 key expansion for every key size; only S-box lookups go through the AES unit.</summary>
    internal static int ExpandGeneric(ReadOnlySpan<byte> key, ref AesRoundKeys keys)
    {
        int nk = key.Length / 4;
        int rounds = nk + 6;
        int total = 4 * (rounds + 1);
        Span<uint> w = MemoryMarshal.Cast<Vector128<byte>, uint>(MemoryMarshal.CreateSpan(ref keys[0], AesRoundKeys.MaxCount));
        for (int i = 0; i < nk; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        }

        // Words are little-endian, so RotWord is a right rotation and Rcon sits in the low byte.
        uint rcon = 1;
        for (int i = nk; i < total; i++)
        {
            uint t = w[i - 1];
            if (i % nk == 0)
            {
                t = SubWord(BitOperations.RotateRight(t, 8)) ^ rcon;
                rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11B);
            }
            else if (nk > 6 && i % nk == 4)
            {
                t = SubWord(t);
            }

            w[i] = w[i - nk] ^ t;
        }

        // The hardware path only exists on little-endian CPUs (x86, Arm64), so native words are the byte order AES wants.
        return rounds;
    }

    /// <summary>The AES S-box on each byte of a word, computed by the AES unit (no secret-indexed table).</summary>
    private static uint SubWord(uint word)
    {
        Vector128<byte> v = Vector128.Create(word).AsByte();
        if (X86Aes.IsSupported)
        {
            // AESKEYGENASSIST word 0 is SubWord(word 1).
            return X86Aes.KeygenAssist(v, 0).AsUInt32().ToScalar();
        }

        if (ArmAes.IsSupported)
        {
            // AESE with a zero key is SubBytes then ShiftRows; with four equal columns ShiftRows changes nothing.
            return ArmAes.Encrypt(v, Vector128<byte>.Zero).AsUInt32().ToScalar();
        }

        throw new PlatformNotSupportedException();
    }

    /// <summary>Encrypts one block. <paramref name="rk"/> is the first of <paramref name="rounds"/> + 1 round keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(ref Vector128<byte> rk, int rounds, Vector128<byte> b)
    {
        if (X86Aes.IsSupported)
        {
            b ^= rk;
            for (int r = 1; r < rounds; r++)
            {
                b = X86Aes.Encrypt(b, Unsafe.Add(ref rk, r));
            }

            return X86Aes.EncryptLast(b, Unsafe.Add(ref rk, rounds));
        }

        if (ArmAes.IsSupported)
        {
            // AESE is AddRoundKey+SubBytes+ShiftRows, so the Arm round sequence is shifted by one key.
            for (int r = 0; r < rounds - 1; r++)
            {
                b = ArmAes.MixColumns(ArmAes.Encrypt(b, Unsafe.Add(ref rk, r)));
            }

            return ArmAes.Encrypt(b, Unsafe.Add(ref rk, rounds - 1)) ^ Unsafe.Add(ref rk, rounds);
        }

        throw new PlatformNotSupportedException();
    }

    /// <summary>Encrypts two independent blocks with their rounds interleaved, so both chains share the AES latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt2(ref Vector128<byte> rk, int rounds, ref Vector128<byte> a, ref Vector128<byte> b)
    {
        Vector128<byte> x = a, y = b;
        if (X86Aes.IsSupported)
        {
            Vector128<byte> k = rk;
            x ^= k;
            y ^= k;
            for (int r = 1; r < rounds; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x = X86Aes.Encrypt(x, k);
                y = X86Aes.Encrypt(y, k);
            }

            k = Unsafe.Add(ref rk, rounds);
            a = X86Aes.EncryptLast(x, k);
            b = X86Aes.EncryptLast(y, k);
            return;
        }

        if (ArmAes.IsSupported)
        {
            Vector128<byte> k;
            for (int r = 0; r < rounds - 1; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x = ArmAes.MixColumns(ArmAes.Encrypt(x, k));
                y = ArmAes.MixColumns(ArmAes.Encrypt(y, k));
            }

            k = Unsafe.Add(ref rk, rounds - 1);
            Vector128<byte> last = Unsafe.Add(ref rk, rounds);
            a = ArmAes.Encrypt(x, k) ^ last;
            b = ArmAes.Encrypt(y, k) ^ last;
            return;
        }

        throw new PlatformNotSupportedException();
    }

    /// <summary>Encrypts four independent blocks in parallel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt4(
        ref Vector128<byte> rk, int rounds,
        ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d)
    {
        Vector128<byte> x0 = a, x1 = b, x2 = c, x3 = d;
        if (X86Aes.IsSupported)
        {
            Vector128<byte> k = rk;
            x0 ^= k; x1 ^= k; x2 ^= k; x3 ^= k;
            for (int r = 1; r < rounds; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x0 = X86Aes.Encrypt(x0, k);
                x1 = X86Aes.Encrypt(x1, k);
                x2 = X86Aes.Encrypt(x2, k);
                x3 = X86Aes.Encrypt(x3, k);
            }

            k = Unsafe.Add(ref rk, rounds);
            a = X86Aes.EncryptLast(x0, k);
            b = X86Aes.EncryptLast(x1, k);
            c = X86Aes.EncryptLast(x2, k);
            d = X86Aes.EncryptLast(x3, k);
            return;
        }

        if (ArmAes.IsSupported)
        {
            Vector128<byte> k;
            for (int r = 0; r < rounds - 1; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x0 = ArmAes.MixColumns(ArmAes.Encrypt(x0, k));
                x1 = ArmAes.MixColumns(ArmAes.Encrypt(x1, k));
                x2 = ArmAes.MixColumns(ArmAes.Encrypt(x2, k));
                x3 = ArmAes.MixColumns(ArmAes.Encrypt(x3, k));
            }

            k = Unsafe.Add(ref rk, rounds - 1);
            Vector128<byte> last = Unsafe.Add(ref rk, rounds);
            a = ArmAes.Encrypt(x0, k) ^ last;
            b = ArmAes.Encrypt(x1, k) ^ last;
            c = ArmAes.Encrypt(x2, k) ^ last;
            d = ArmAes.Encrypt(x3, k) ^ last;
            return;
        }

        throw new PlatformNotSupportedException();
    }

    /// <summary>Encrypts the eight blocks of <paramref name="blocks"/> in place, all in flight at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt8(ref Vector128<byte> rk, int rounds, ref Blocks8 blocks)
    {
        // Eight blocks cover the AES unit's latency x throughput on current x86 and Arm cores.
        ref Vector128<byte> p = ref blocks[0];
        Vector128<byte> x0 = p, x1 = Unsafe.Add(ref p, 1), x2 = Unsafe.Add(ref p, 2), x3 = Unsafe.Add(ref p, 3);
        Vector128<byte> x4 = Unsafe.Add(ref p, 4), x5 = Unsafe.Add(ref p, 5), x6 = Unsafe.Add(ref p, 6), x7 = Unsafe.Add(ref p, 7);
        if (X86Aes.IsSupported)
        {
            Vector128<byte> k = rk;
            x0 ^= k; x1 ^= k; x2 ^= k; x3 ^= k; x4 ^= k; x5 ^= k; x6 ^= k; x7 ^= k;
            for (int r = 1; r < rounds; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x0 = X86Aes.Encrypt(x0, k);
                x1 = X86Aes.Encrypt(x1, k);
                x2 = X86Aes.Encrypt(x2, k);
                x3 = X86Aes.Encrypt(x3, k);
                x4 = X86Aes.Encrypt(x4, k);
                x5 = X86Aes.Encrypt(x5, k);
                x6 = X86Aes.Encrypt(x6, k);
                x7 = X86Aes.Encrypt(x7, k);
            }

            k = Unsafe.Add(ref rk, rounds);
            p = X86Aes.EncryptLast(x0, k);
            Unsafe.Add(ref p, 1) = X86Aes.EncryptLast(x1, k);
            Unsafe.Add(ref p, 2) = X86Aes.EncryptLast(x2, k);
            Unsafe.Add(ref p, 3) = X86Aes.EncryptLast(x3, k);
            Unsafe.Add(ref p, 4) = X86Aes.EncryptLast(x4, k);
            Unsafe.Add(ref p, 5) = X86Aes.EncryptLast(x5, k);
            Unsafe.Add(ref p, 6) = X86Aes.EncryptLast(x6, k);
            Unsafe.Add(ref p, 7) = X86Aes.EncryptLast(x7, k);
            return;
        }

        if (ArmAes.IsSupported)
        {
            Vector128<byte> k;
            for (int r = 0; r < rounds - 1; r++)
            {
                k = Unsafe.Add(ref rk, r);
                x0 = ArmAes.MixColumns(ArmAes.Encrypt(x0, k));
                x1 = ArmAes.MixColumns(ArmAes.Encrypt(x1, k));
                x2 = ArmAes.MixColumns(ArmAes.Encrypt(x2, k));
                x3 = ArmAes.MixColumns(ArmAes.Encrypt(x3, k));
                x4 = ArmAes.MixColumns(ArmAes.Encrypt(x4, k));
                x5 = ArmAes.MixColumns(ArmAes.Encrypt(x5, k));
                x6 = ArmAes.MixColumns(ArmAes.Encrypt(x6, k));
                x7 = ArmAes.MixColumns(ArmAes.Encrypt(x7, k));
            }

            k = Unsafe.Add(ref rk, rounds - 1);
            Vector128<byte> last = Unsafe.Add(ref rk, rounds);
            p = ArmAes.Encrypt(x0, k) ^ last;
            Unsafe.Add(ref p, 1) = ArmAes.Encrypt(x1, k) ^ last;
            Unsafe.Add(ref p, 2) = ArmAes.Encrypt(x2, k) ^ last;
            Unsafe.Add(ref p, 3) = ArmAes.Encrypt(x3, k) ^ last;
            Unsafe.Add(ref p, 4) = ArmAes.Encrypt(x4, k) ^ last;
            Unsafe.Add(ref p, 5) = ArmAes.Encrypt(x5, k) ^ last;
            Unsafe.Add(ref p, 6) = ArmAes.Encrypt(x6, k) ^ last;
            Unsafe.Add(ref p, 7) = ArmAes.Encrypt(x7, k) ^ last;
            return;
        }

        throw new PlatformNotSupportedException();
    }
}
