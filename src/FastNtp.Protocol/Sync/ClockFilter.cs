namespace FastNtp.Protocol.Sync;

/// <summary>
/// The per-source clock filter of RFC 5905 section 10: an eight-stage shift register of (offset, delay,
/// dispersion, time) samples. The sample with the lowest delay is the estimate, because the least-delayed
/// exchange suffered the least queueing and therefore the least asymmetry. Values are seconds.
/// </summary>
public sealed class ClockFilter
{
    private readonly Stage[] _stages = new Stage[SyncConstants.FilterStages];
    private readonly int[] _order = new int[SyncConstants.FilterStages];
    private Ntp.NtpTimestamp? _lastSampleTime;

    private readonly int _window;

    /// <param name="window">
    /// How many of the newest stages may supply the estimate. RFC 5905 uses all eight; a clock being steered
    /// needs fresh samples, because an old low-delay sample describes the clock before later corrections.
    /// </param>
    public ClockFilter(int window = SyncConstants.FilterStages)
    {
        if (window is < 1 or > SyncConstants.FilterStages) throw new ArgumentOutOfRangeException(nameof(window));
        _window = window;
        Clear();
    }

    /// <summary>True once a sample has produced an estimate.</summary>
    public bool HasEstimate { get; private set; }
    public double Offset { get; private set; }
    public double Delay { get; private set; }
    /// <summary>Filter dispersion: the filled stages' dispersions weighted by 1/2, 1/4, ... in delay order.</summary>
    public double Dispersion { get; private set; }
    /// <summary>RMS of the other stages' offsets about the estimate, never below the precision.</summary>
    public double Jitter { get; private set; }
    /// <summary>Local time of the sample the estimate came from.</summary>
    public Ntp.NtpTimestamp Time { get; private set; }
    /// <summary>Local time of the newest sample, whichever one the estimate came from.</summary>
    public Ntp.NtpTimestamp? LastSampleTime => _lastSampleTime;
    /// <summary>Stages holding a real sample.</summary>
    public int Count { get; private set; }

    public void Clear()
    {
        for (int i = 0; i < _stages.Length; i++) _stages[i] = Stage.Empty;
        _lastSampleTime = null;
        HasEstimate = false;
        Offset = Delay = Jitter = 0;
        Dispersion = SyncConstants.MaxDispersion;
        Time = Ntp.NtpTimestamp.Zero;
        Count = 0;
    }

    /// <summary>
    /// Shifts a sample in. Returns true when it yields a new estimate: the lowest-delay sample is newer than
    /// the one last used (RFC 5905 only lets the clock move forward in sample time).
    /// </summary>
    public bool Add(double offset, double delay, double dispersion, Ntp.NtpTimestamp time, double precision)
    {
        // Existing stages age by PHI times the time since the previous sample.
        if (_lastSampleTime is { } last)
        {
            double age = Math.Max(0, (time - last).TotalSeconds);
            for (int i = 0; i < _stages.Length; i++)
            {
                if (_stages[i].Valid)
                    _stages[i].Dispersion = Math.Min(SyncConstants.MaxDispersion, _stages[i].Dispersion + SyncConstants.Phi * age);
            }
        }

        _lastSampleTime = time;
        Array.Copy(_stages, 0, _stages, 1, _stages.Length - 1);
        _stages[0] = new Stage(offset, delay, Math.Min(dispersion, SyncConstants.MaxDispersion), time, true);
        if (Count < _stages.Length) Count++;

        // Order by delay; empty stages (and stages whose dispersion saturated) go last.
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        Array.Sort(_order, (a, b) => SortKey(_stages[a]).CompareTo(SortKey(_stages[b])));
        int pick = 0;
        while (_order[pick] >= _window && pick < _order.Length - 1 && _stages[_order[pick + 1]].Valid) pick++;
        if (_order[pick] >= _window) pick = 0;

        double filterDispersion = 0;
        double weight = 0.5;
        int usable = 0;
        for (int i = 0; i < _order.Length; i++)
        {
            // Only stages holding samples count: weighting the empty ones at MAXDISP, as RFC 5905 does, makes every
            // interval seconds wide for the first polls, wide enough for a falseticker to look like a truechimer.
            Stage s = _stages[_order[i]];
            if (!s.Valid) break;
            filterDispersion += s.Dispersion * weight;
            weight *= 0.5;
            if (s.Dispersion < SyncConstants.MaxDispersion) usable++;
        }

        Stage best = _stages[_order[pick]];
        double sumSquares = 0;
        int compared = 0;
        for (int i = 0; i < usable; i++)
        {
            // Jitter spans the stages that may supply the estimate; older ones would measure drift, not noise.
            if (i == pick || _order[i] >= Math.Max(_window, 3)) continue;
            double d = _stages[_order[i]].Offset - best.Offset;
            sumSquares += d * d;
            compared++;
        }

        double jitter = compared > 0 ? Math.Sqrt(sumSquares / compared) : 0;
        if (HasEstimate && best.Time.CompareTo(Time) <= 0)
        {
            // An older sample than the one in use: keep the estimate, but dispersion and jitter still track.
            Dispersion = filterDispersion;
            Jitter = Math.Max(jitter, precision);
            return false;
        }

        HasEstimate = true;
        Offset = best.Offset;
        Delay = best.Delay;
        Time = best.Time;
        Dispersion = filterDispersion;
        Jitter = Math.Max(jitter, precision);
        return true;
    }

    /// <summary>
    /// Moves every stored offset by <paramref name="seconds"/>: when the discipline slews the local clock, samples
    /// taken before describe a clock that has since moved, and must follow it.
    /// </summary>
    public void Shift(double seconds)
    {
        for (int i = 0; i < _stages.Length; i++)
        {
            if (_stages[i].Valid) _stages[i].Offset += seconds;
        }

        if (HasEstimate) Offset += seconds;
    }

    private static double SortKey(in Stage s) =>
        !s.Valid || s.Dispersion >= SyncConstants.MaxDispersion ? double.MaxValue : s.Delay;

    private struct Stage(double offset, double delay, double dispersion, Ntp.NtpTimestamp time, bool valid)
    {
        public static readonly Stage Empty = new(0, SyncConstants.MaxDispersion, SyncConstants.MaxDispersion, default, false);
        public double Offset = offset;
        public double Delay = delay;
        public double Dispersion = dispersion;
        public Ntp.NtpTimestamp Time = time;
        public bool Valid = valid;
    }
}
