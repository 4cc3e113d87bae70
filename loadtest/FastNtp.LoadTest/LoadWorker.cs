using System.Diagnostics;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest;

/// <summary>
/// One load thread: its own transport (client sockets, or a raw packet socket), its own share of the rate,
/// its send/receive loop and per-step counters. It follows the shared timeline from <c>startTicks</c>, so
/// threads need no coordination while running.
/// </summary>
internal sealed class LoadWorker : IReplySink, IDisposable
{
    private readonly LoadSettings _settings;
    private readonly ILoadTransport _transport;
    private readonly IReadOnlyList<LoadStep> _timeline;
    private readonly StepStats[] _stats;
    private readonly RequestTracker _tracker;
    private readonly double _rateShare;
    /// <summary>The step whose counters replies go to, and its index in the timeline.</summary>
    private StepStats _current;
    private int _currentStep;
    private volatile int _completedSteps;
    private volatile bool _stop;
    private Exception? _failure;

    public LoadWorker(int index, ILoadTransport transport, LoadSettings settings)
    {
        Index = index;
        _settings = settings;
        _transport = transport;
        _rateShare = 1.0 / settings.Threads;
        _timeline = settings.Timeline;
        _stats = new StepStats[_timeline.Count];
        for (int i = 0; i < _stats.Length; i++) _stats[i] = new StepStats();
        _tracker = new RequestTracker(TrackerCapacity(settings), firstSequence: (uint)Random.Shared.Next());
        _current = _stats[0];
    }

    public int Index { get; }

    /// <summary>Timeline entries (warm-up included) this thread has finished, drain included; their stats no longer change.</summary>
    public int CompletedSteps => _completedSteps;

    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Stats of timeline entry <paramref name="entry"/> (0 is the warm-up when there is one).</summary>
    public StepStats StatsFor(int entry) => _stats[entry];

    /// <summary>Enough slots for two seconds at the highest per-thread rate, so a slot is never reused while its reply can still count.</summary>
    private static int TrackerCapacity(LoadSettings settings)
    {
        double peak = 0;
        foreach (LoadStep s in settings.Steps) peak = Math.Max(peak, s.Rate);
        long wanted = Math.Max(1 << 16, (long)(peak / settings.Threads * 2));
        return (int)Math.Min(1L << 24, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)wanted));
    }

    /// <summary>Asks the thread to leave its loop at the next turn (an interrupted run).</summary>
    public void Stop() => _stop = true;

    public Thread Start(long startTicks)
    {
        var thread = new Thread(() => Run(startTicks)) { IsBackground = true, Name = $"load-{Index}" };
        thread.Start();
        return thread;
    }

    private void Run(long startTicks)
    {
        try
        {
            RunSteps(startTicks);
        }
        catch (Exception e)
        {
            Volatile.Write(ref _failure, e);
            _completedSteps = _stats.Length;
        }
    }

    private void RunSteps(long startTicks)
    {
        long frequency = Stopwatch.Frequency;
        long drainTicks = (long)(_settings.Drain.TotalSeconds * frequency);
        long stepStart = startTicks;

        while (Stopwatch.GetTimestamp() < startTicks) Thread.Sleep(1);

        for (int k = 0; k < _timeline.Count; k++)
        {
            LoadStep step = _timeline[k];
            StepStats stats = _stats[k];
            _current = stats;
            _currentStep = k;
            long stepEnd = stepStart + (long)(step.Duration.TotalSeconds * frequency);
            long drainEnd = stepEnd + drainTicks;
            if (_transport.PacedSender is { } sender)
                RunPacedEntry(sender, k, step.Rate * _rateShare, stats, stepStart, stepEnd, drainEnd);
            else
                RunEntry(k, step.Rate * _rateShare, stats, stepStart, stepEnd, drainEnd);

            if (_stop)
            {
                _completedSteps = _stats.Length;
                return;
            }

            _transport.CompleteEntry(k, stats);
            _completedSteps = k + 1;
            stepStart = drainEnd;
        }
    }

    /// <summary>One timeline entry paced by this thread: bursts of requests handed to the transport as they fall due, replies collected in between, then the drain.</summary>
    private void RunEntry(int k, double rate, StepStats stats, long stepStart, long stepEnd, long drainEnd)
    {
        long frequency = Stopwatch.Frequency;
        var pacer = new Pacer(rate, frequency);
        // More than 10 ms behind means this thread cannot keep up; the rest is skipped, not burst.
        long maxBacklog = Math.Max(_settings.Batch, (long)(rate / 100));
        long paced = 0;
        int burst = BurstSize(rate);

        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= drainEnd || _stop) break;
            bool sending = now < stepEnd;
            if (sending)
            {
                // The last burst of a step goes out even if short, so every step offers its full count.
                int minimum = now + frequency / 10_000 >= stepEnd ? 1 : burst;
                int toSend = pacer.ToSend(now - stepStart, paced, _settings.Batch, maxBacklog, out long skipped, minimum);
                stats.Skipped += skipped;
                paced += skipped;
                if (toSend > 0)
                {
                    uint ntpSeconds = NtpTimestamp.FromUnixNanoseconds(Clocks.UnixNanosecondsNow()).Seconds;
                    stats.Sent += _transport.Send(toSend, _tracker, ntpSeconds, now, k, out int failed);
                    stats.SendErrors += failed;
                    paced += toSend;
                }
            }

            // Sleep until the next request falls due or a reply arrives, at most 1 ms so the step end is noticed.
            // Not spinning keeps the generator's own CPU use proportional to the load it offers.
            long waitTicks = frequency / 1000;
            if (sending)
            {
                long elapsed = Stopwatch.GetTimestamp() - stepStart;
                waitTicks = Math.Clamp(pacer.TicksUntilDue(paced + burst) - elapsed, 0, waitTicks);
            }

            _transport.Receive((long)(waitTicks * (1e9 / frequency)), this);
        }
    }

    /// <summary>
    /// Requests due within a short window (50 µs by default) go out together, at most a batch: invisible to a server,
    /// and the generator then spends its time on packets rather than on system calls and the peer's wake-ups.
    /// </summary>
    private int BurstSize(double rate) => (int)Math.Clamp(rate * (_settings.Burst ?? LoadSettings.DefaultBurst).TotalSeconds, 1, _settings.Batch);

    /// <summary>
    /// One timeline entry with a sender that paces itself: it runs until every request of the entry is sent or skipped
    /// (at most until the drain ends), collecting replies between its calls, then the drain collects the rest.
    /// </summary>
    private void RunPacedEntry(IPacedSender sender, int entry, double rate, StepStats stats, long stepStart, long stepEnd, long drainEnd)
    {
        sender.BeginEntry(entry, rate, stepStart, stepEnd, BurstSize(rate));
        long now = Stopwatch.GetTimestamp();
        while (!_stop && now < drainEnd && (now < stepEnd || !sender.EntryComplete))
        {
            sender.SendDue(_tracker);
            _transport.Receive(0, this);
            now = Stopwatch.GetTimestamp();
        }

        stats.Sent += sender.Sent;
        stats.SendErrors += sender.Refused;
        stats.Skipped += sender.Skipped;
        long millisecond = Stopwatch.Frequency / 1000;
        while (!_stop && (now = Stopwatch.GetTimestamp()) < drainEnd)
            _transport.Receive((long)(Math.Min(millisecond, drainEnd - now) * (1e9 / Stopwatch.Frequency)), this);
    }

    public void Account(ReplyVerdict verdict, ulong origin, long nowTicks)
    {
        StepStats current = _current;
        // With a reply sink this is a sample the sink already counted as a valid reply of this step: only its latency
        // is recorded here, and anything full verification says against it is counted and taken off the sink's figure.
        bool sampled = _transport.SamplesReplies;
        if (verdict is not (ReplyVerdict.Valid or ReplyVerdict.KissOfDeath))
        {
            current.Invalid++;
            current.InvalidByVerdict[(int)verdict]++;
            if (sampled) current.SampleRejected++;
            return;
        }

        switch (_tracker.Match(origin, out long sendTicks, out int step))
        {
            case MatchResult.Matched when step == _currentStep && verdict == ReplyVerdict.Valid:
                if (sampled) current.Verified++;
                else current.Replies++;
                current.Latency.Record(Clocks.TicksToNanoseconds(nowTicks - sendTicks));
                return;
            case MatchResult.Matched when step == _currentStep:
                current.KissOfDeath++;
                break;
            case MatchResult.Matched:
            case MatchResult.Late:
                current.Late++;
                break;
            case MatchResult.Duplicate:
                current.Duplicates++;
                break;
            default:
                current.Invalid++;
                current.InvalidByVerdict[StepStats.UnknownOriginIndex]++;
                break;
        }

        if (sampled) current.SampleRejected++;
    }

    public void Dispose() => _transport.Dispose();
}
