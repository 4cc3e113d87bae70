using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastNtp.Interop.Sockets;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest;

/// <summary>
/// One load thread: its own client sockets (each bound to its own source port and connected to the
/// target), its own share of the rate, sendmmsg/recvmmsg loops and per-step counters. It follows the
/// shared timeline from <c>startTicks</c>, so threads need no coordination while running.
/// </summary>
internal sealed class LoadWorker : IDisposable
{
    private const int ReceiveSlotSize = 1024;
    /// <summary>NTS replies carry a cookie per placeholder: up to about 1 kB with 7.</summary>
    private const int NtsReceiveSlotSize = 2048;

    private readonly LoadSettings _settings;
    private readonly UdpBatchSocket[] _sockets;
    private readonly IReadOnlyList<LoadStep> _timeline;
    private readonly StepStats[] _stats;
    private readonly RequestTracker _tracker;
    private readonly double _rateShare;
    /// <summary>NTS mode: this thread's session (keys, cookies, nonce counter); null in plain mode.</summary>
    private readonly NtsLoadSession? _nts;
    private volatile int _completedSteps;
    private volatile bool _stop;
    private Exception? _failure;

    public LoadWorker(int index, int socketCount, LoadSettings settings)
    {
        Index = index;
        _settings = settings;
        _rateShare = 1.0 / settings.Threads;
        _sockets = new UdpBatchSocket[socketCount];
        IPAddress local = settings.Target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        if (!LoadSettings.IsLoopback(settings.Target.Address))
            local = settings.Target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        try
        {
            for (int i = 0; i < socketCount; i++)
            {
                var socket = UdpBatchSocket.Create(settings.Target.AddressFamily);
                _sockets[i] = socket;
                // Forced past rmem_max where permitted: replies must not be lost in the generator's own queue.
                socket.SetReceiveBufferSize(settings.SocketBufferBytes, force: true);
                socket.SetSendBufferSize(settings.SocketBufferBytes, force: true);
                // A send never blocks a step for long; a datagram the kernel will not take is a send error.
                socket.SetSendTimeout(TimeSpan.FromMilliseconds(1));
                socket.Bind(new IPEndPoint(local, 0));
                socket.Connect(settings.Target);
            }

            // Threads share the NTS-KE sessions round-robin; each thread has its own nonce counter and prefixes.
            if (settings.NtsSessions is { Count: > 0 } sessions)
                _nts = NtsLoadSession.FromKeyExchange(sessions[index % sessions.Count], settings.NtsPlaceholders);
        }
        catch
        {
            Dispose();
            throw;
        }

        _timeline = settings.Timeline;
        _stats = new StepStats[_timeline.Count];
        for (int i = 0; i < _stats.Length; i++) _stats[i] = new StepStats();
        _tracker = new RequestTracker(TrackerCapacity(settings), firstSequence: (uint)Random.Shared.Next());
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
        using var send = new PacketBatch(_settings.Batch, _nts?.MaxRequestLength ?? NtpProbe.RequestLength);
        using var receive = new PacketBatch(_settings.Batch, _nts is null ? ReceiveSlotSize : NtsReceiveSlotSize);
        // No destination per slot: the sockets are connected.
        for (int i = 0; i < send.Capacity; i++) send.SetLength(i, NtpProbe.RequestLength);

        using var epoll = new Epoll(_sockets.Length);
        for (int i = 0; i < _sockets.Length; i++) epoll.Add(_sockets[i].Handle, (ulong)i);

        long frequency = Stopwatch.Frequency;
        long drainTicks = (long)(_settings.Drain.TotalSeconds * frequency);
        long stepStart = startTicks;
        int nextSocket = 0;

        while (Stopwatch.GetTimestamp() < startTicks) Thread.Sleep(1);

        for (int k = 0; k < _timeline.Count; k++)
        {
            LoadStep step = _timeline[k];
            StepStats stats = _stats[k];
            long stepEnd = stepStart + (long)(step.Duration.TotalSeconds * frequency);
            long drainEnd = stepEnd + drainTicks;
            var pacer = new Pacer(step.Rate * _rateShare, frequency);
            // More than 10 ms behind means this thread cannot keep up; the rest is skipped, not burst.
            long maxBacklog = Math.Max(_settings.Batch, (long)(step.Rate * _rateShare / 100));
            long paced = 0;
            // Requests due within a short window (50 µs by default) are grouped into one sendmmsg: invisible to a
            // server, and the generator then spends its time on packets rather than on syscalls and wake-ups.
            double window = (_settings.Burst ?? LoadSettings.DefaultBurst).TotalSeconds;
            int burst = (int)Math.Clamp(step.Rate * _rateShare * window, 1, _settings.Batch);

            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= drainEnd || _stop) break;
                bool sending = now < stepEnd;
                int toSend = 0;
                if (sending)
                {
                    // The last burst of a step goes out even if short, so every step offers its full count.
                    int minimum = now + frequency / 10_000 >= stepEnd ? 1 : burst;
                    toSend = pacer.ToSend(now - stepStart, paced, _settings.Batch, maxBacklog, out long skipped, minimum);
                    stats.Skipped += skipped;
                    paced += skipped;
                    if (toSend > 0)
                    {
                        SendBatch(send, _sockets[nextSocket], toSend, now, k, stats);
                        paced += toSend;
                        nextSocket = nextSocket + 1 == _sockets.Length ? 0 : nextSocket + 1;
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

                long timeout = (long)(waitTicks * (1e9 / frequency));
                int ready = epoll.Wait(timeout);
                for (int r = 0; r < ready; r++)
                    DrainSocket(receive, _sockets[(int)epoll.DataAt(r)], k, stats);
            }

            if (_stop)
            {
                _completedSteps = _stats.Length;
                return;
            }

            _completedSteps = k + 1;
            stepStart = drainEnd;
        }
    }

    private void SendBatch(PacketBatch batch, UdpBatchSocket socket, int count, long nowTicks, int step, StepStats stats)
    {
        uint ntpSeconds = NtpTimestamp.FromUnixNanoseconds(UnixNanosecondsNow()).Seconds;
        if (_nts is null)
        {
            for (int i = 0; i < count; i++)
                NtpProbe.WriteRequest(batch.GetBuffer(i), _tracker.Next(ntpSeconds, nowTicks, step));
        }
        else
        {
            for (int i = 0; i < count; i++)
                batch.SetLength(i, _nts.WriteRequest(batch.GetBuffer(i), _tracker.Next(ntpSeconds, nowTicks, step)));
        }

        int sent = socket.SendAll(batch, count, out int failed, out _);
        stats.Sent += sent;
        stats.SendErrors += failed;
    }

    private void DrainSocket(PacketBatch batch, UdpBatchSocket socket, int currentStep, StepStats current)
    {
        long maxSkewNs = (long)(_settings.MaxSkew.TotalMilliseconds * 1_000_000);
        while (true)
        {
            int n = socket.Receive(batch, batch.Capacity, ReceiveWait.NoWait, out _);
            if (n <= 0) return;
            long nowTicks = Stopwatch.GetTimestamp();
            long nowNs = UnixNanosecondsNow();
            for (int i = 0; i < n; i++)
                Account(batch.GetReceived(i), nowTicks, nowNs, maxSkewNs, currentStep, current);
            if (n < batch.Capacity) return;
        }
    }

    private void Account(ReadOnlySpan<byte> reply, long nowTicks, long nowNs, long maxSkewNs, int currentStep, StepStats current)
    {
        ReplyVerdict verdict = _nts is null
            ? NtpProbe.Verify(reply, nowNs, maxSkewNs, out ulong origin)
            : _nts.Verify(reply, nowNs, maxSkewNs, out origin);
        if (verdict is not (ReplyVerdict.Valid or ReplyVerdict.KissOfDeath))
        {
            current.Invalid++;
            current.InvalidByVerdict[(int)verdict]++;
            return;
        }

        switch (_tracker.Match(origin, out long sendTicks, out int step))
        {
            case MatchResult.Matched when step == currentStep:
                if (verdict == ReplyVerdict.KissOfDeath)
                {
                    current.KissOfDeath++;
                    return;
                }

                current.Replies++;
                current.Latency.Record(TicksToNanoseconds(nowTicks - sendTicks));
                return;
            case MatchResult.Matched:
            case MatchResult.Late:
                current.Late++;
                return;
            case MatchResult.Duplicate:
                current.Duplicates++;
                return;
            default:
                current.Invalid++;
                current.InvalidByVerdict[StepStats.UnknownOriginIndex]++;
                return;
        }
    }

    private static long TicksToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    private static long UnixNanosecondsNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public void Dispose()
    {
        foreach (UdpBatchSocket? s in _sockets) s?.Dispose();
        _nts?.Dispose();
    }
}
