using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace FastNtp.Crypto.Internal;

/// <summary>Small operations on 16-byte blocks shared by the modes.</summary>
internal static class Block
{
    /// <summary>
    /// dbl(S) of RFC 5297 section 2.3 / NIST SP 800-38B: S is a big-endian 128-bit value, shifted left
    /// one bit, with 0x87 XORed into the low byte when the bit shifted out is 1. Branch-free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Dbl(Vector128<byte> s)
    {
        var reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        Vector128<ulong> v = Vector128.Shuffle(s, reverse).AsUInt64();       // [low 64 bits, high 64 bits]
        var msb = Vector128.ShiftRightLogical(v, 63);
        var carry = Vector128.Shuffle(msb, Vector128.Create(1UL, 0UL)); // [high msb, low msb]
        Vector128<ulong> shifted = Vector128.ShiftLeft(v, 1) ^ ((Vector128<ulong>.Zero - carry) & Vector128.Create(0x87UL, 1UL));
        return Vector128.Shuffle(shifted.AsByte(), reverse);
    }

    /// <summary>pad(X) of RFC 5297: a partial block (fewer than 16 bytes) followed by 0x80 and zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> LoadPadded(ReadOnlySpan<byte> partial)
    {
        int n = partial.Length;
        Vector128<ulong> pad = n < 8
            ? Vector128.Create(0x80UL << (8 * n), 0UL)
            : Vector128.Create(0UL, 0x80UL << (8 * (n - 8)));
        return LoadPartial(partial) | pad.AsByte();
    }

    /// <summary>
    /// A partial block (fewer than 16 bytes) zero-extended to a block, assembled in registers from
    /// overlapping loads inside the span: no copy through memory (which would stall store-forwarding)
    /// and no read past the end. Branches depend only on the (public) length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> LoadPartial(ReadOnlySpan<byte> partial)
    {
        if (!BitConverter.IsLittleEndian)
        {
            Vector128<byte> block = Vector128<byte>.Zero;
            partial.CopyTo(MemoryMarshal.AsBytes(new Span<Vector128<byte>>(ref block)));
            return block;
        }

        ref byte p = ref MemoryMarshal.GetReference(partial);
        int n = partial.Length;
        return n >= 8
            ? Vector128.Create(Unsafe.ReadUnaligned<ulong>(ref p), LoadUpTo7(ref Unsafe.Add(ref p, 8), n - 8)).AsByte()
            : Vector128.Create(LoadUpTo7(ref p, n), 0UL).AsByte();
    }

    /// <summary>The first <paramref name="n"/> (0..7) bytes at <paramref name="p"/> as a little-endian integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LoadUpTo7(ref byte p, int n)
    {
        if (n >= 4)
        {
            // Two 4-byte loads that overlap when n < 8; the shared bytes land on the same bit positions.
            ulong first = Unsafe.ReadUnaligned<uint>(ref p);
            ulong last = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, n - 4));
            return first | (last << (8 * (n - 4)));
        }

        if (n >= 2)
        {
            ulong first = Unsafe.ReadUnaligned<ushort>(ref p);
            ulong last = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref p, n - 2));
            return first | (last << (8 * (n - 2)));
        }

        return n == 0 ? 0UL : p;
    }

    /// <summary>
    /// Tag comparison whose time does not depend on where the blocks differ: one XOR and one
    /// whole-vector test against zero, no per-byte early exit.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool FixedTimeEquals(Vector128<byte> a, Vector128<byte> b) => (a ^ b) == Vector128<byte>.Zero;

    /// <summary>Zeroes a value that holds key material; <see cref="CryptographicOperations.ZeroMemory"/> is never elided.</summary>
    public static void Wipe<T>(ref T value)
        where T : unmanaged =>
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(new Span<T>(ref value)));
}
