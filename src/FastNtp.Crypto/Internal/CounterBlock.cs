using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// How a counter-mode block counts. CTR code keeps the counter in a "native" form where it is one
/// 32-bit vector lane, so the increment is a single vector add; <see cref="Swap"/> converts between
/// that form and the block's byte layout (it is its own inverse).
/// </summary>
internal interface ICounterBlock
{
    static abstract Vector128<uint> One { get; }

    static abstract Vector128<byte> Swap(Vector128<byte> block);
}

/// <summary>
/// SIV (RFC 5297 section 2.5): a 128-bit big-endian counter. Bits 31 and 63 are cleared before use,
/// so with fewer than 2^31 blocks per message only the last 32-bit word ever changes and never carries.
/// </summary>
internal readonly struct SivCounter : ICounterBlock
{
    public static Vector128<uint> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create(0u, 0u, 0u, 1u);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Swap(Vector128<byte> block) =>
        Vector128.Shuffle(block, Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12));
}

/// <summary>AES-GCM-SIV (RFC 8452 section 4): the first 32 bits are a little-endian counter that wraps mod 2^32.</summary>
internal readonly struct GcmSivCounter : ICounterBlock
{
    public static Vector128<uint> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create(1u, 0u, 0u, 0u);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Swap(Vector128<byte> block) => block;
}
