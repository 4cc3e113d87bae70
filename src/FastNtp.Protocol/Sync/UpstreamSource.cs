using FastNtp.Protocol.Client;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Sync;

/// <summary>What became of a reply handed to <see cref="UpstreamSource.HandleReply"/>.</summary>
public enum ReplyOutcome : byte
{
    /// <summary>A usable sample entered the clock filter and produced a new estimate.</summary>
    NewEstimate,
    /// <summary>A usable sample entered the filter; the estimate stays (an older sample still has the least delay).</summary>
    Sample,
    /// <summary>Not an answer to our outstanding request (unsolicited, duplicate, wrong origin, truncated, wrong mode).</summary>
    Ignored,
    /// <summary>An answer, but the server has no usable time (leap 3, stratum 16, bogus timestamps) or an unknown kiss.</summary>
    Unusable,
    /// <summary>Kiss RATE: the poll interval was raised.</summary>
    RateLimited,
    /// <summary>Kiss DENY or RSTR: the source is dropped for good.</summary>
    Denied,
    /// <summary>Kiss NTSN: the NTS cookie was refused, NTS-KE must run again.</summary>
    NtsNak,
}

public enum SourceState : byte
{
    /// <summary>No reply within the last eight polls, or no usable sample yet.</summary>
    Unreachable,
    /// <summary>Reachable but not fit for selection (too far, stratum too high, its own leap alarm).</summary>
    Unfit,
    /// <summary>Fit and a truechimer, not among the combined survivors.</summary>
    Candidate,
    Falseticker,
    /// <summary>Combined into the system offset.</summary>
    Survivor,
    /// <summary>The system peer: its stratum and reference id are advertised.</summary>
    Selected,
    /// <summary>Told us DENY or RSTR; no longer polled.</summary>
    Denied,
}

/// <summary>
/// One upstream server, sans I/O: when to poll (minpoll to maxpoll, an initial burst, backoff while
/// unanswered, slower on kiss RATE), the reach register, the request's random transmit timestamp, reply
/// checks, and the clock filter. The caller supplies every timestamp and the bytes in and out.
/// </summary>
public sealed class UpstreamSource
{
    /// <summary>Requests sent quickly at start-up so a first estimate exists within seconds (iburst).</summary>
    public const int BurstCount = 4;
    /// <summary>Consecutive unanswered polls after which the interval doubles.</summary>
    public const int BackoffAfter = 2;
    private const double BurstIntervalSeconds = 2;
    /// <summary>Stable samples in a row needed before the poll interval grows (and unstable ones to shrink it).</summary>
    private const int PollHysteresis = 4;

    private NtpTimestamp _pendingTransmit;
    private NtpTimestamp _pendingSentAt;
    private bool _pending;
    private bool _started;
    private int _burstRemaining = BurstCount;
    private int _stability;
    private double _lastEstimateOffset;

    public UpstreamSource(int minPoll, int maxPoll, bool burst = true, int filterWindow = SyncConstants.FilterStages)
    {
        if (minPoll > maxPoll) throw new ArgumentOutOfRangeException(nameof(maxPoll), maxPoll, "maxpoll is below minpoll.");
        MinPoll = minPoll;
        MaxPoll = maxPoll;
        Poll = minPoll;
        if (!burst) _burstRemaining = 0;
        Filter = new ClockFilter(filterWindow);
    }

    public int MinPoll { get; }
    public int MaxPoll { get; }
    /// <summary>The current poll exponent: requests go every 2^Poll seconds.</summary>
    public int Poll { get; private set; }
    /// <summary>One bit per request sent, newest in bit 0, set when that request was answered with a usable sample.</summary>
    public byte Reach { get; private set; }
    public NtpTimestamp NextPollAt { get; private set; }
    public bool IsDenied { get; private set; }
    /// <summary>Requests in a row that went unanswered.</summary>
    public int Unanswered { get; private set; }
    public ClockFilter Filter { get; }

    // What the server last told us about itself.
    public byte Stratum { get; private set; } = SyncConstants.MaxStratum;
    public LeapIndicator Leap { get; private set; } = LeapIndicator.Unsynchronized;
    public ReferenceId ReferenceId { get; private set; }
    public sbyte Precision { get; private set; }
    public double RootDelay { get; private set; }
    public double RootDispersion { get; private set; }
    public ReplyError LastError { get; private set; }

    public bool IsDue(NtpTimestamp now) => !IsDenied && (!_started || now.CompareTo(NextPollAt) >= 0);

    /// <summary>
    /// Writes the next request. <paramref name="randomTransmit"/> goes on the wire as the transmit timestamp (it
    /// reveals nothing about our clock and the reply must echo it); <paramref name="now"/> is the real send time.
    /// </summary>
    public int WriteRequest(NtpTimestamp now, NtpTimestamp randomTransmit, Span<byte> destination)
    {
        if (IsDenied) throw new InvalidOperationException("A denied source is not polled.");
        if (_pending)
        {
            Unanswered++;
            if (Unanswered >= BackoffAfter && _burstRemaining == 0 && Poll < MaxPoll) Poll++;
        }

        _started = true;
        Reach = (byte)(Reach << 1);
        _pending = true;
        _pendingTransmit = randomTransmit;
        _pendingSentAt = now;
        double interval = PollSeconds;
        if (_burstRemaining > 0)
        {
            _burstRemaining--;
            interval = Math.Min(interval, BurstIntervalSeconds);
        }

        NextPollAt = now + NtpDuration.FromSeconds(interval);
        return ClientExchange.WriteRequest(destination, randomTransmit, (sbyte)Math.Clamp(Poll, sbyte.MinValue, sbyte.MaxValue));
    }

    /// <summary>The interval between requests: 2^Poll seconds, held down to 2^PollCap while the system asks.</summary>
    public double PollSeconds => Math.Pow(2, Math.Min(Poll, Math.Max(PollCap, MinPoll)));

    /// <summary>The system process lowers this while the clock it steers is far off, so fresh samples come often.</summary>
    public int PollCap { get; set; } = SyncConstants.MaxPollLimit;

    /// <summary>Checks a reply against the outstanding request and, when usable, feeds the filter.</summary>
    /// <param name="precision">Our own clock precision in seconds.</param>
    public ReplyOutcome HandleReply(ReadOnlySpan<byte> packet, NtpTimestamp receivedAt, double precision)
    {
        if (!_pending || IsDenied) return ReplyOutcome.Ignored;
        ClientSample sample = ClientExchange.ReadReply(packet, _pendingTransmit, _pendingSentAt, receivedAt);
        LastError = sample.Error;
        switch (sample.Error)
        {
            case ReplyError.TooShort or ReplyError.NotAServerReply or ReplyError.OriginMismatch:
                // Not ours: the genuine answer may still arrive.
                return ReplyOutcome.Ignored;
            case ReplyError.KissOfDeath:
                _pending = false;
                return HandleKiss(sample);
            case ReplyError.Unsynchronized or ReplyError.BogusTimestamps:
                _pending = false;
                Stratum = sample.Stratum;
                Leap = sample.Leap;
                return ReplyOutcome.Unusable;
        }

        _pending = false;
        Unanswered = 0;
        Reach |= 1;
        Stratum = sample.Stratum;
        Leap = sample.Leap;
        ReferenceId = sample.ReferenceId;
        Precision = sample.Precision;
        RootDelay = sample.RootDelay.TotalSeconds;
        RootDispersion = sample.RootDispersion.TotalSeconds;

        // RFC 5905 section 8: the sample's dispersion is both precisions plus PHI over the round trip.
        double roundTrip = Math.Max(0, (receivedAt - _pendingSentAt).TotalSeconds);
        double dispersion = Math.Pow(2, sample.Precision) + precision + SyncConstants.Phi * roundTrip;
        double delay = Math.Max(sample.Delay.TotalSeconds, precision);
        bool fresh = Filter.Add(sample.Offset.TotalSeconds, delay, dispersion, receivedAt, precision);
        if (fresh) AdaptPoll();
        return fresh ? ReplyOutcome.NewEstimate : ReplyOutcome.Sample;
    }

    /// <summary>
    /// Root distance at <paramref name="now"/> (RFC 5905 section 11.2): half the total round trip to the
    /// primary reference plus every dispersion, grown by PHI since the sample and widened by jitter.
    /// </summary>
    public double RootDistance(NtpTimestamp now)
    {
        double age = Math.Max(0, (now - Filter.Time).TotalSeconds);
        return Math.Max(SyncConstants.MinDispersion, RootDelay + Filter.Delay) / 2
            + RootDispersion + Filter.Dispersion + SyncConstants.Phi * age + Filter.Jitter;
    }

    /// <summary>Whether the source may take part in selection now (RFC 5905's fit test plus a freshness bound).</summary>
    public bool IsFit(NtpTimestamp now)
    {
        if (IsDenied || Reach == 0 || !Filter.HasEstimate) return false;
        if (Stratum >= SyncConstants.MaxStratum - 1 || Leap == LeapIndicator.Unsynchronized) return false;
        // The source must have answered within the last eight polls (the estimate itself may be older: it is
        // the lowest-delay sample of the register), or what we hold describes a clock long gone.
        if (Filter.LastSampleTime is not { } last || (now - last).TotalSeconds > 8 * PollSeconds) return false;
        return RootDistance(now) < SyncConstants.MaxDistance + SyncConstants.Phi * PollSeconds;
    }

    /// <summary>After the local clock stepped, earlier samples and the outstanding send time are wrong by the step.</summary>
    /// <param name="now">Local time after the step; a new burst starts then, to rebuild the filter quickly.</param>
    public void OnClockStep(NtpDuration step, NtpTimestamp now)
    {
        Filter.Clear();
        if (_pending) _pendingSentAt += step;
        if (IsDenied) return;
        _burstRemaining = BurstCount;
        NextPollAt = now;
    }

    private ReplyOutcome HandleKiss(in ClientSample sample)
    {
        ReferenceId code = sample.KissCode;
        if (code == ReferenceId.Deny || code == ReferenceId.Restricted)
        {
            IsDenied = true;
            Reach = 0;
            Filter.Clear();
            return ReplyOutcome.Denied;
        }

        if (code == ReferenceId.Rate)
        {
            // Poll at least twice as slowly, and no faster than the server asks; the burst is over.
            _burstRemaining = 0;
            Poll = Math.Clamp(Math.Max(Poll + 1, sample.Poll), MinPoll, SyncConstants.MaxPollLimit);
            NextPollAt = _pendingSentAt + NtpDuration.FromSeconds(PollSeconds);
            return ReplyOutcome.RateLimited;
        }

        return code == ReferenceId.NtsNak ? ReplyOutcome.NtsNak : ReplyOutcome.Unusable;
    }

    /// <summary>
    /// Lengthens the poll while successive estimates agree within a few jitters and shortens it when they
    /// do not, so a stable source is asked rarely and a wandering one often.
    /// </summary>
    private void AdaptPoll()
    {
        if (_burstRemaining > 0) return;
        double change = Math.Abs(Filter.Offset - _lastEstimateOffset);
        _lastEstimateOffset = Filter.Offset;
        _stability += change <= 4 * Filter.Jitter ? 1 : -2;
        if (_stability >= PollHysteresis)
        {
            _stability = 0;
            if (Poll < MaxPoll) Poll++;
        }
        else if (_stability <= -PollHysteresis)
        {
            _stability = 0;
            if (Poll > MinPoll) Poll--;
        }
    }
}
