using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastNtp.Crypto;

/// <summary>
/// Incremental S2V (RFC 5297 section 2.4) for components held as spans: <see cref="Add"/> each of
/// S1..Sn-1, then <see cref="Finish"/> with Sn. Created by <see cref="AesSiv.CreateS2V"/>; holds only
/// the running value D, so it allocates nothing.
/// </summary>
public ref struct S2VBuilder
{
    private readonly AesSiv? _siv;
    private Vector128<byte> _d;
    private int _count;

    internal S2VBuilder(AesSiv siv, Vector128<byte> start)
    {
        _siv = siv;
        _d = start;
        _count = 0;
    }

    /// <summary>Absorbs the next component (not the last one).</summary>
    /// <exception cref="InvalidOperationException">A 127th non-final component (RFC 5297 section 7 allows 127 in all).</exception>
    public void Add(ReadOnlySpan<byte> component)
    {
        AesSiv siv = _siv ?? throw new InvalidOperationException("Create the builder with AesSiv.CreateS2V().");
        if (_count == AesSiv.MaxAssociatedDataComponents)
        {
            throw new InvalidOperationException($"S2V takes at most {AesSiv.MaxAssociatedDataComponents + 1} components (RFC 5297 section 7).");
        }

        _d = siv.S2VStep(_d, component);
        _count++;
    }

    /// <summary>Absorbs the last component and writes the 16-byte result V to <paramref name="destination"/>.</summary>
    /// <remarks>For S2V over no components at all use <see cref="AesSiv.S2V"/> with an empty list.</remarks>
    public readonly void Finish(ReadOnlySpan<byte> lastComponent, Span<byte> destination)
    {
        AesSiv siv = _siv ?? throw new InvalidOperationException("Create the builder with AesSiv.CreateS2V().");
        AesSiv.CheckS2VDestination(destination);
        siv.S2VFinish(_d, lastComponent).StoreUnsafe(ref MemoryMarshal.GetReference(destination));
    }
}
