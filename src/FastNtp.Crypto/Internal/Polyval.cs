using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// POLYVAL (RFC 8452 section 3): S_j = dot(S_{j-1} xor X_j, H) with dot(a, b) = a * b * x^-128 in
/// GF(2^128) mod x^128 + x^127 + x^126 + x^121 + 1. Blocks are little-endian, so no byte reversal.
/// </summary>
internal interface IPolyval
{
    /// <summary>Absorbs <paramref name="data"/>; a final partial block is zero-padded (as GCM-SIV pads AD and plaintext).</summary>
    void Update(ReadOnlySpan<byte> data);

    void UpdateBlock(Vector128<byte> block);

    Vector128<byte> Result { get; }
}

internal static class PolyvalMath
{
    /// <summary>Blocks GCM-SIV feeds POLYVAL for the given lengths (padded AD, padded plaintext, length block).</summary>
    public static int BlockCount(int associatedDataLength, int plaintextLength) =>
        (associatedDataLength + 15) / 16 + (plaintextLength + 15) / 16 + 1;

    /// <summary>A partial block (fewer than 16 bytes), zero-padded as GCM-SIV pads AD and plaintext.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> LoadZeroPadded(ReadOnlySpan<byte> partial) => Block.LoadPartial(partial);
}

/// <summary>POLYVAL on carry-less multiply: PCLMULQDQ on x86, PMULL on Arm64.</summary>
internal struct PolyvalHardware : IPolyval
{
    // Below this many blocks the three extra multiplications for H^2..H^4 do not pay for themselves.
    // In GCM-SIV they mostly hide behind the message-key expansion, which runs at the same time.
    private const int AggregateThreshold = 5;

    private readonly Vector128<ulong> _h;
    private readonly Vector128<ulong> _h2;
    private readonly Vector128<ulong> _h3;
    private readonly Vector128<ulong> _h4;
    private readonly bool _aggregate;
    private Vector128<ulong> _acc;

    public PolyvalHardware(Vector128<byte> h, int expectedBlocks)
    {
        _h = h.AsUInt64();
        _acc = Vector128<ulong>.Zero;
        _aggregate = expectedBlocks >= AggregateThreshold;
        if (_aggregate)
        {
            // Powers in the dot sense: dot(H, H) = H^2 x^-128, so four blocks fold as one reduction.
            _h2 = Dot(_h, _h);
            _h3 = Dot(_h2, _h);
            _h4 = Dot(_h2, _h2);
        }
    }

    public readonly Vector128<byte> Result => _acc.AsByte();

    public void UpdateBlock(Vector128<byte> block) => _acc = Dot(_acc ^ block.AsUInt64(), _h);

    public void Update(ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint offset = 0;
        Vector128<ulong> acc = _acc;
        if (_aggregate)
        {
            Vector128<ulong> h = _h, h2 = _h2, h3 = _h3, h4 = _h4;
            while (length - offset >= 64)
            {
                // (acc ^ X1)·H^4 ^ X2·H^3 ^ X3·H^2 ^ X4·H with one reduction for all four products.
                Vector128<ulong> lo = Vector128<ulong>.Zero, mid = Vector128<ulong>.Zero, hi = Vector128<ulong>.Zero;
                MultiplyAccumulate(acc ^ Vector128.LoadUnsafe(ref p, offset).AsUInt64(), h4, ref lo, ref mid, ref hi);
                MultiplyAccumulate(Vector128.LoadUnsafe(ref p, offset + 16).AsUInt64(), h3, ref lo, ref mid, ref hi);
                MultiplyAccumulate(Vector128.LoadUnsafe(ref p, offset + 32).AsUInt64(), h2, ref lo, ref mid, ref hi);
                MultiplyAccumulate(Vector128.LoadUnsafe(ref p, offset + 48).AsUInt64(), h, ref lo, ref mid, ref hi);
                acc = Reduce(lo, mid, hi);
                offset += 64;
            }
        }

        for (; length - offset >= 16; offset += 16)
        {
            acc = Dot(acc ^ Vector128.LoadUnsafe(ref p, offset).AsUInt64(), _h);
        }

        if (offset < length)
        {
            acc = Dot(acc ^ PolyvalMath.LoadZeroPadded(data[(int)offset..]).AsUInt64(), _h);
        }

        _acc = acc;
    }

    /// <summary>dot(a, b) = a * b * x^-128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Dot(Vector128<ulong> a, Vector128<ulong> b)
    {
        Vector128<ulong> lo = Vector128<ulong>.Zero, mid = Vector128<ulong>.Zero, hi = Vector128<ulong>.Zero;
        MultiplyAccumulate(a, b, ref lo, ref mid, ref hi);
        return Reduce(lo, mid, hi);
    }

    /// <summary>Adds the unreduced 256-bit product a * b (as lo, mid, hi 128-bit parts) to the accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAccumulate(
        Vector128<ulong> a, Vector128<ulong> b,
        ref Vector128<ulong> lo, ref Vector128<ulong> mid, ref Vector128<ulong> hi)
    {
        if (Pclmulqdq.IsSupported)
        {
            lo ^= Pclmulqdq.CarrylessMultiply(a, b, 0x00);
            hi ^= Pclmulqdq.CarrylessMultiply(a, b, 0x11);
            mid ^= Pclmulqdq.CarrylessMultiply(a, b, 0x01) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x10);
            return;
        }

        if (ArmAes.IsSupported)
        {
            lo ^= ArmAes.PolynomialMultiplyWideningLower(a.GetLower(), b.GetLower());
            hi ^= ArmAes.PolynomialMultiplyWideningUpper(a, b);
            mid ^= ArmAes.PolynomialMultiplyWideningLower(a.GetLower(), b.GetUpper())
                 ^ ArmAes.PolynomialMultiplyWideningLower(a.GetUpper(), b.GetLower());
            return;
        }

        throw new PlatformNotSupportedException();
    }

    /// <summary>
    /// Montgomery reduction of hi·x^128 + mid·x^64 + lo by x^-128. The polynomial is 1 modulo x^64, so
    /// each step adds (low word)·P, which clears that word; (low word)·(x^127 + x^126 + x^121) is one
    /// carry-less multiply by 0xC200000000000000 shifted up 64 bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> mid, Vector128<ulong> hi)
    {
        Vector128<ulong> midLow = Vector128.Shuffle(mid, Vector128.Create(1UL, 0UL)) & Vector128.Create(0UL, ulong.MaxValue);
        Vector128<ulong> midHigh = Vector128.Shuffle(mid, Vector128.Create(1UL, 0UL)) & Vector128.Create(ulong.MaxValue, 0UL);
        lo ^= midLow;
        hi ^= midHigh;
        lo = Vector128.Shuffle(lo, Vector128.Create(1UL, 0UL)) ^ MultiplyByPoly(lo);
        lo = Vector128.Shuffle(lo, Vector128.Create(1UL, 0UL)) ^ MultiplyByPoly(lo);
        return lo ^ hi;
    }

    /// <summary>The low 64 bits of <paramref name="x"/> times 0xC200000000000000 (x^63 + x^62 + x^57), as 128 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> MultiplyByPoly(Vector128<ulong> x)
    {
        if (Pclmulqdq.IsSupported)
        {
            return Pclmulqdq.CarrylessMultiply(x, Vector128.Create(1UL, 0xC200000000000000UL), 0x10);
        }

        if (ArmAes.IsSupported)
        {
            return ArmAes.PolynomialMultiplyWideningLower(x.GetLower(), Vector64.Create(0xC200000000000000UL));
        }

        throw new PlatformNotSupportedException();
    }
}

/// <summary>
/// POLYVAL without carry-less multiply instructions, constant-time: carry-less products come from
/// ordinary integer multiplies of operands with every fourth bit kept ("holes"), so sums never carry
/// into the bits that are kept, and there are no secret-dependent branches or table lookups.
/// </summary>
internal struct PolyvalPortable : IPolyval
{
    private readonly ulong _hLo;
    private readonly ulong _hHi;
    private ulong _lo;
    private ulong _hi;

    public PolyvalPortable(Vector128<byte> h)
    {
        _hLo = h.AsUInt64().GetElement(0);
        _hHi = h.AsUInt64().GetElement(1);
    }

    public readonly Vector128<byte> Result => Vector128.Create(_lo, _hi).AsByte();

    public void UpdateBlock(Vector128<byte> block)
    {
        Vector128<ulong> x = block.AsUInt64();
        Dot(_lo ^ x.GetElement(0), _hi ^ x.GetElement(1), _hLo, _hHi, out _lo, out _hi);
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        for (; data.Length - offset >= 16; offset += 16)
        {
            UpdateBlock(Vector128.Create(data.Slice(offset, 16)));
        }

        if (offset < data.Length)
        {
            UpdateBlock(PolyvalMath.LoadZeroPadded(data[offset..]));
        }
    }

    /// <summary>dot(a, b) = a * b * x^-128 on 64-bit halves.</summary>
    public static void Dot(ulong aLo, ulong aHi, ulong bLo, ulong bHi, out ulong lo, out ulong hi)
    {
        // Karatsuba: three 64x64 products for the 256-bit result x3:x2:x1:x0.
        Clmul64(aLo, bLo, out ulong l0, out ulong l1);
        Clmul64(aHi, bHi, out ulong h0, out ulong h1);
        Clmul64(aLo ^ aHi, bLo ^ bHi, out ulong m0, out ulong m1);
        m0 ^= l0 ^ h0;
        m1 ^= l1 ^ h1;
        ulong x0 = l0, x1 = l1 ^ m0, x2 = h0 ^ m1, x3 = h1;

        // Montgomery reduction (see PolyvalHardware.Reduce); multiplying by 0xC2000000_00000000 is three shifts.
        x1 ^= (x0 << 63) ^ (x0 << 62) ^ (x0 << 57);
        x2 ^= x0 ^ (x0 >> 1) ^ (x0 >> 2) ^ (x0 >> 7);
        x2 ^= (x1 << 63) ^ (x1 << 62) ^ (x1 << 57);
        x3 ^= x1 ^ (x1 >> 1) ^ (x1 >> 2) ^ (x1 >> 7);
        lo = x2;
        hi = x3;
    }

    /// <summary>Carry-less 64x64 to 128-bit product (Karatsuba over 32-bit halves).</summary>
    private static void Clmul64(ulong a, ulong b, out ulong lo, out ulong hi)
    {
        uint a0 = (uint)a, a1 = (uint)(a >> 32), b0 = (uint)b, b1 = (uint)(b >> 32);
        ulong p0 = Clmul32(a0, b0);
        ulong p2 = Clmul32(a1, b1);
        ulong p1 = Clmul32(a0 ^ a1, b0 ^ b1) ^ p0 ^ p2;
        lo = p0 ^ (p1 << 32);
        hi = p2 ^ (p1 >> 32);
    }

    /// <summary>
    /// Carry-less 32x32 to 64-bit product. Each operand is split into four masks of every fourth bit;
    /// a column of any product then sums at most 8 one-bits, which fits below the next kept bit.
    /// </summary>
    private static ulong Clmul32(uint x, uint y)
    {
        ulong x0 = x & 0x11111111u, x1 = x & 0x22222222u, x2 = x & 0x44444444u, x3 = x & 0x88888888u;
        ulong y0 = y & 0x11111111u, y1 = y & 0x22222222u, y2 = y & 0x44444444u, y3 = y & 0x88888888u;
        ulong z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
        ulong z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
        ulong z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
        ulong z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
        return (z0 & 0x1111111111111111UL) | (z1 & 0x2222222222222222UL)
             | (z2 & 0x4444444444444444UL) | (z3 & 0x8888888888888888UL);
    }
}
