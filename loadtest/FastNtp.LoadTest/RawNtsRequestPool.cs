namespace FastNtp.LoadTest;

/// <summary>
/// NTS request frames for raw-frame mode, built before the run so the send loop only copies them: an NTS request
/// costs an AEAD seal over the whole packet (about a microsecond), which would otherwise halve what one generator
/// core offers. Each timeline entry gets its own requests (its number travels in their transmit timestamps, see
/// <see cref="ReplySink.Transmit"/>), as many as it sends up to <see cref="Capacity"/>; a step that sends more
/// sends them again in turn. A resent request is byte for byte the earlier one (same unique identifier, nonce and
/// cookie): servers that keep no replay state (FastNtp, chrony) answer it as a new one, and its reply still
/// authenticates and matches its slot in the tracker, as long as it arrives before the request comes round again.
/// </summary>
internal sealed class RawNtsRequestPool
{
    /// <summary>Requests per timeline entry: a turn lasts 65 ms at 1 M/s, far longer than any reply counted as on time.</summary>
    public const int Capacity = 1 << 16;

    private readonly byte[][] _frames;
    private readonly int[][] _lengths;
    private readonly ulong[][] _transmits;
    private readonly int _slotSize;
    private int _entry = -1;
    private int _next;

    public RawNtsRequestPool(RawRequestFrames frames, IReadOnlyList<LoadStep> timeline, uint tag)
    {
        if (!frames.IsNts) throw new ArgumentException("The frames have no NTS sessions.", nameof(frames));
        _slotSize = frames.MaxFrameLength;
        _frames = new byte[timeline.Count][];
        _lengths = new int[timeline.Count][];
        _transmits = new ulong[timeline.Count][];
        for (int e = 0; e < timeline.Count; e++)
        {
            int count = (int)Math.Clamp(Math.Ceiling(timeline[e].Rate * timeline[e].Duration.TotalSeconds), 1, Capacity);
            byte[] buffer = GC.AllocateUninitializedArray<byte>(count * _slotSize);
            _frames[e] = buffer;
            _lengths[e] = new int[count];
            _transmits[e] = new ulong[count];
            MaxCount = Math.Max(MaxCount, count);
            for (int i = 0; i < count; i++)
            {
                ulong transmit = ReplySink.Transmit(tag, e, (uint)i);
                _transmits[e][i] = transmit;
                _lengths[e][i] = frames.WriteNts(buffer.AsSpan(i * _slotSize, _slotSize), transmit);
            }
        }
    }

    /// <summary>Requests built for timeline entry <paramref name="entry"/>.</summary>
    public int CountFor(int entry) => _lengths[entry].Length;

    /// <summary>The most requests any entry has.</summary>
    public int MaxCount { get; }

    /// <summary>Request <paramref name="index"/> of timeline entry <paramref name="entry"/>, whose transmit timestamp is <see cref="ReplySink.Transmit"/>(tag, entry, index).</summary>
    public ReadOnlySpan<byte> Frame(int entry, int index) => _frames[entry].AsSpan(index * _slotSize, _lengths[entry][index]);

    /// <summary>Copies the next request of <paramref name="entry"/> into <paramref name="destination"/>; returns its length.</summary>
    public int Next(int entry, Span<byte> destination, out ulong transmit)
    {
        if (entry != _entry)
        {
            _entry = entry;
            _next = 0;
        }

        int i = _next;
        _next = i + 1 == _lengths[entry].Length ? 0 : i + 1;
        transmit = _transmits[entry][i];
        ReadOnlySpan<byte> frame = Frame(entry, i);
        frame.CopyTo(destination);
        return frame.Length;
    }
}
