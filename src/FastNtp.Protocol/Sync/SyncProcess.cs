using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Protocol.Sync;

public enum ClockControl : byte
{
    /// <summary>Observe only: advertise synchronized while the measured offset stays within the maximum.</summary>
    None,
    /// <summary>Discipline the clock: the process returns frequency and step actions.</summary>
    Kernel,
    /// <summary>Another program disciplines the clock; the server mirrors the kernel's state and runs no process.</summary>
    FollowKernel,
}

public sealed record SyncProcessSettings
{
    public ClockControl Control { get; init; } = ClockControl.None;
    /// <summary>Truechimers required; null means 1 with a single source, else 2.</summary>
    public int? MinSources { get; init; }
    /// <summary>With <see cref="ClockControl.None"/>: the largest offset, in seconds, still advertised as synchronized.</summary>
    public double MaxOffset { get; init; } = 0.010;
    public double StepThreshold { get; init; } = 0.128;
    public double PanicThreshold { get; init; } = 1000;
    /// <summary>Served while unsynchronized, when set (1 to 15).</summary>
    public byte? LocalStratum { get; init; }
    /// <summary>log2 seconds of our own clock's precision.</summary>
    public sbyte Precision { get; init; } = -20;
}

/// <summary>The result of feeding the process one event.</summary>
/// <param name="Action">What to do to the clock (kernel control only).</param>
/// <param name="SnapshotChanged">Whether <see cref="SyncProcess.Snapshot"/> is a new instance to publish.</param>
public readonly record struct SyncUpdate(ReplyOutcome Outcome, DisciplineAction Action, bool SnapshotChanged);

/// <summary>
/// The system process, sans I/O: owns the upstream sources, runs selection, clustering and combining after
/// each event, drives the clock discipline in kernel mode, and keeps the <see cref="ServerSnapshot"/> the
/// responder serves honest. The caller moves the bytes and reads the clock.
/// </summary>
public sealed class SyncProcess
{
    private readonly List<Entry> _sources = [];
    private readonly SyncProcessSettings _settings;
    private readonly ClockDiscipline _discipline;
    private readonly double _precision;
    private NtpTimestamp? _lastDisciplinedSample;
    private NtpTimestamp _lastUpdate;
    private int _systemPeer = -1;
    private NtpTimestamp? _lastSlewCheck;
    private int _pollCap = SyncConstants.MaxPollLimit;

    /// <summary>Under kernel control only the newest samples may be the estimate (see <see cref="ClockFilter"/>).</summary>
    private const int KernelFilterWindow = 2;
    /// <summary>Under kernel control, an offset below this lets the poll interval grow whatever the jitter.</summary>
    private const double SettledOffset = 0.0003;
    /// <summary>Under kernel control the loop never waits longer than 2^8 s between corrections.</summary>
    private const int KernelMaxPoll = 8;

    public SyncProcess(SyncProcessSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.LocalStratum is 0 or >= SyncConstants.MaxStratum)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.LocalStratum, "A local stratum is 1 to 15.");
        _settings = settings;
        _precision = Math.Pow(2, settings.Precision);
        _discipline = new ClockDiscipline(settings.StepThreshold, settings.PanicThreshold);
        Snapshot = Fallback(NtpTimestamp.Zero);
    }

    public ServerSnapshot Snapshot { get; private set; }
    public SelectionResult? LastSelection { get; private set; }
    /// <summary>The combined offset at the last synchronized update, in seconds.</summary>
    public double Offset { get; private set; }
    public ClockDiscipline Discipline => _discipline;
    public int SourceCount => _sources.Count;
    public int MinSources => _settings.MinSources ?? (_sources.Count <= 1 ? 1 : 2);

    /// <summary>Adds a source; the returned id addresses it in every other call.</summary>
    public int AddSource(string name, string address, ReferenceId referenceId, int minPoll, int maxPoll, bool nts = false)
    {
        _sources.Add(new Entry(name, address, referenceId, nts, new UpstreamSource(minPoll, maxPoll, filterWindow: _settings.Control == ClockControl.Kernel ? KernelFilterWindow : SyncConstants.FilterStages)));
        return _sources.Count - 1;
    }

    public UpstreamSource Source(int id) => _sources[id].Source;

    /// <summary>The earliest time any source wants to poll; <paramref name="now"/> when one is due already.</summary>
    public NtpTimestamp NextDeadline(NtpTimestamp now)
    {
        NtpTimestamp? earliest = null;
        foreach (Entry e in _sources)
        {
            if (e.Source.IsDenied) continue;
            if (e.Source.IsDue(now)) return now;
            if (earliest is not { } t || e.Source.NextPollAt.CompareTo(t) < 0) earliest = e.Source.NextPollAt;
        }

        return earliest ?? now + NtpDuration.FromSeconds(3600);
    }

    /// <summary>Writes a request for source <paramref name="id"/> and re-evaluates (its reach register shifted).</summary>
    public int Poll(int id, NtpTimestamp now, NtpTimestamp randomTransmit, Span<byte> destination, out SyncUpdate update)
    {
        int length = _sources[id].Source.WriteRequest(now, randomTransmit, destination);
        update = Reselect(now, ReplyOutcome.Ignored, newData: false);
        return length;
    }

    public SyncUpdate HandleReply(int id, ReadOnlySpan<byte> packet, NtpTimestamp receivedAt)
    {
        ReplyOutcome outcome = _sources[id].Source.HandleReply(packet, receivedAt, _precision);
        if (outcome == ReplyOutcome.Ignored) return new SyncUpdate(outcome, DisciplineAction.None, false);
        return Reselect(receivedAt, outcome, newData: outcome == ReplyOutcome.NewEstimate);
    }

    /// <summary>Re-evaluates without new data, so a state that has gone stale decays.</summary>
    public SyncUpdate Tick(NtpTimestamp now) => Reselect(now, ReplyOutcome.Ignored, newData: false);

    public IReadOnlyList<SourceStatus> GetStatus(NtpTimestamp now)
    {
        var list = new List<SourceStatus>(_sources.Count);
        foreach (Entry e in _sources)
        {
            UpstreamSource s = e.Source;
            bool estimate = s.Filter.HasEstimate;
            list.Add(new SourceStatus(
                e.Name, e.Address, e.Nts, s.Stratum, s.ReferenceId.ToString(s.Stratum), s.Reach, s.Poll,
                estimate ? s.Filter.Offset : 0, estimate ? s.Filter.Delay : 0, estimate ? s.Filter.Jitter : 0,
                estimate ? s.RootDistance(now) : 0, e.State));
        }

        return list;
    }

    private SyncUpdate Reselect(NtpTimestamp now, ReplyOutcome outcome, bool newData)
    {
        if (_settings.Control == ClockControl.Kernel) FollowSlew(now);
        var ids = new List<int>(_sources.Count);
        var candidates = new List<SelectionCandidate>(_sources.Count);
        for (int i = 0; i < _sources.Count; i++)
        {
            UpstreamSource s = _sources[i].Source;
            if (s.IsFit(now))
            {
                ids.Add(i);
                candidates.Add(new SelectionCandidate(i, s.Filter.Offset, s.RootDistance(now), s.Filter.Jitter, s.Stratum, s.Leap));
                _sources[i].State = SourceState.Candidate;
            }
            else
            {
                _sources[i].State = s.IsDenied ? SourceState.Denied
                    : s.Reach == 0 || !s.Filter.HasEstimate ? SourceState.Unreachable
                    : SourceState.Unfit;
            }
        }

        SelectionResult result = SourceSelection.Select(candidates.ToArray(), MinSources, _systemPeer);
        LastSelection = result;
        for (int k = 0; k < ids.Count; k++)
        {
            _sources[ids[k]].State = result.Verdicts[k] switch
            {
                CandidateVerdict.Falseticker => SourceState.Falseticker,
                CandidateVerdict.Survivor => SourceState.Survivor,
                CandidateVerdict.SystemPeer => SourceState.Selected,
                _ => SourceState.Candidate,
            };
        }

        DisciplineAction action = DisciplineAction.None;
        bool synchronized = result.IsSynchronized;
        if (synchronized)
        {
            UpstreamSource peer = _sources[result.SystemPeerId].Source;
            if (_settings.Control == ClockControl.Kernel && (_lastDisciplinedSample is not { } last || peer.Filter.Time.CompareTo(last) > 0))
            {
                // Only a sample newer than the last one acted on moves the loop, so no offset is corrected twice.
                _lastDisciplinedSample = peer.Filter.Time;
                action = _discipline.Update(result.Offset, now, peer.PollSeconds);
                AdjustPollCap(result);
                if (action.Kind == DisciplineKind.Step)
                {
                    NtpTimestamp after = now + action.Step;
                    foreach (Entry e in _sources) e.Source.OnClockStep(action.Step, after);
                    _lastDisciplinedSample = null;
                    _lastSlewCheck = after;
                    synchronized = false;
                }
            }

            if (_discipline.Panicked) synchronized = false;
            if (_settings.Control == ClockControl.None && Math.Abs(result.Offset) > _settings.MaxOffset) synchronized = false;
        }

        ServerSnapshot previous = Snapshot;
        if (synchronized)
        {
            bool samePeer = result.SystemPeerId == _systemPeer && previous.IsSynchronized;
            if (newData || !samePeer)
            {
                if (newData) _lastUpdate = now;
                Offset = result.Offset;
                _systemPeer = result.SystemPeerId;
                Snapshot = Synchronized(result, _lastUpdate.IsZero ? now : _lastUpdate, now);
            }
        }
        else
        {
            _systemPeer = -1;
            // The local-clock fallback refreshes its reference time; plain unsynchronized stays one value.
            if (previous.IsSynchronized || _settings.LocalStratum is not null) Snapshot = Fallback(now);
        }

        return new SyncUpdate(outcome, action, !ReferenceEquals(previous, Snapshot) && previous != Snapshot);
    }

    /// <summary>
    /// While the steered clock's offset is large against the jitter the loop is still converging and needs
    /// frequent samples; once it is within a few jitters the sources may poll as slowly as they like.
    /// </summary>
    private void AdjustPollCap(SelectionResult result)
    {
        // A fixed bound rather than one scaled by jitter: a noisy path must not let a long poll hide a real error.
        bool settled = Math.Abs(result.Offset) <= SettledOffset;
        _pollCap = settled ? Math.Min(_pollCap + 1, KernelMaxPoll) : Math.Max(_pollCap - 2, -8);
        foreach (Entry e in _sources) e.Source.PollCap = _pollCap;
    }

    /// <summary>
    /// The discipline slews the clock at its frequency minus the learned drift; stored offsets are moved by what
    /// that slew has done since the last event, so older samples stay comparable with new ones.
    /// </summary>
    private void FollowSlew(NtpTimestamp now)
    {
        if (_lastSlewCheck is { } last)
        {
            double elapsed = (now - last).TotalSeconds;
            double slewed = (_discipline.FrequencyPpm - _discipline.IntegralPpm) * 1e-6 * Math.Max(0, elapsed);
            if (slewed != 0)
            {
                foreach (Entry e in _sources) e.Source.Filter.Shift(-slewed);
            }
        }

        _lastSlewCheck = now;
    }

    /// <summary>RFC 5905 section 11.3 (clock update): what the system peer reported plus what we measured.</summary>
    private ServerSnapshot Synchronized(SelectionResult result, NtpTimestamp referenceTime, NtpTimestamp now)
    {
        Entry peer = _sources[result.SystemPeerId];
        UpstreamSource s = peer.Source;
        double age = Math.Max(0, (now - s.Filter.Time).TotalSeconds);
        double rootDelay = s.RootDelay + s.Filter.Delay;
        double rootDispersion = s.RootDispersion + s.Filter.Dispersion + result.Jitter + SyncConstants.Phi * age + Math.Abs(result.Offset);
        return new ServerSnapshot
        {
            Leap = result.Leap,
            Stratum = (byte)(s.Stratum + 1),
            Precision = _settings.Precision,
            RootDelay = NtpDuration.FromSeconds(rootDelay),
            RootDispersion = NtpDuration.FromSeconds(rootDispersion),
            ReferenceId = peer.ReferenceId,
            ReferenceTime = referenceTime,
        };
    }

    private ServerSnapshot Fallback(NtpTimestamp now) => _settings.LocalStratum is byte stratum
        ? ServerSnapshot.LocalClock(stratum, _settings.Precision, now)
        : ServerSnapshot.Unsynchronized(_settings.Precision);

    private sealed class Entry(string name, string address, ReferenceId referenceId, bool nts, UpstreamSource source)
    {
        public string Name { get; } = name;
        public string Address { get; } = address;
        public ReferenceId ReferenceId { get; } = referenceId;
        public bool Nts { get; } = nts;
        public UpstreamSource Source { get; } = source;
        public SourceState State { get; set; } = SourceState.Unreachable;
    }
}
