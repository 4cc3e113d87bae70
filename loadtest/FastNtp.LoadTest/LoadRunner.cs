using System.Diagnostics;

namespace FastNtp.LoadTest;

/// <summary>Live figures of the step in progress, summed over threads.</summary>
/// <param name="ServerCpuPercent">The server's CPU share since the step started; null without <c>--server-pid</c>.</param>
/// <param name="RequestsPerServerCpuSecond">Valid replies so far per server CPU-second so far.</param>
internal readonly record struct LiveProgress(
    LoadStep Step, int StepCount, double ElapsedSeconds, long Sent, long Replies, long Invalid,
    double? ServerCpuPercent = null, double? RequestsPerServerCpuSecond = null,
    double? ServerUserNanosecondsPerRequest = null, double? ServerKernelNanosecondsPerRequest = null);

/// <summary>Starts the load threads on one shared timeline and collects each step's figures once every thread is past it.</summary>
internal sealed class LoadRunner
{
    private readonly LoadSettings _settings;

    public LoadRunner(LoadSettings settings)
    {
        _settings = settings;
    }

    /// <summary>
    /// Where timeline entry k starts (index k) and the last one ends (index Count), in Stopwatch ticks, computed
    /// exactly as the load threads compute them, so CPU samples fall on the same boundaries as their steps.
    /// </summary>
    internal static long[] Boundaries(IReadOnlyList<LoadStep> timeline, TimeSpan drain, long start, long frequency)
    {
        long[] boundaries = new long[timeline.Count + 1];
        boundaries[0] = start;
        long drainTicks = (long)(drain.TotalSeconds * frequency);
        for (int k = 0; k < timeline.Count; k++)
            boundaries[k + 1] = boundaries[k] + (long)(timeline[k].Duration.TotalSeconds * frequency) + drainTicks;
        return boundaries;
    }

    /// <param name="onProgress">Called about four times a second from the calling thread.</param>
    /// <param name="onStep">Called from the calling thread as each step completes.</param>
    public IReadOnlyList<StepResult> Run(Action<LiveProgress> onProgress, Action<StepResult> onStep, CancellationToken cancel)
    {
        var workers = new List<LoadWorker>(_settings.Threads);
        var threads = new List<Thread>(_settings.Threads);
        try
        {
            for (int t = 0; t < _settings.Threads; t++) workers.Add(new LoadWorker(t, Transport(t), _settings));

            long frequency = Stopwatch.Frequency;
            // A short lead lets every thread reach its loop before the first step starts.
            long start = Stopwatch.GetTimestamp() + frequency / 5;
            foreach (LoadWorker w in workers) threads.Add(w.Start(start));

            var results = new List<StepResult>(_settings.Steps.Count);
            IReadOnlyList<LoadStep> timeline = _settings.Timeline;
            int first = timeline.Count - _settings.Steps.Count;
            long[] boundaries = Boundaries(timeline, _settings.Drain, start, frequency);
            // CPU time of the server (and of this generator) at each boundary: sampled by this thread, which
            // otherwise only sleeps, as close to the boundary as its wake-up allows (CPU times tick every 10 ms anyway).
            var sampler = new CpuSampler(_settings.ServerPid, _settings.ServerCpu);
            var samples = new CpuSample[boundaries.Length];
            int sampled = 0;

            for (int k = 0; k < timeline.Count; k++)
            {
                LoadStep step = timeline[k];
                while (sampled <= k + 1 || !AllPast(workers, k + 1))
                {
                    if (cancel.IsCancellationRequested) return results;
                    long now = Stopwatch.GetTimestamp();
                    if (sampled < boundaries.Length && now >= boundaries[sampled])
                    {
                        samples[sampled++] = sampler.Sample();
                        continue;
                    }

                    // All boundaries sampled: only the threads' last drain is left, checked every millisecond.
                    int sleepMs = sampled < boundaries.Length
                        ? (int)Math.Clamp((boundaries[sampled] - now) / (frequency / 1000), 0, 250)
                        : 1;
                    Thread.Sleep(sleepMs);
                    ThrowIfFailed(workers);
                    if (sleepMs < 250 || sampled <= k) continue;
                    onProgress(Progress(workers, k, step, boundaries[k], samples[k], sampler.Sample(), frequency));
                }

                ThrowIfFailed(workers);
                if (k >= first)
                {
                    var total = new StepStats();
                    foreach (LoadWorker w in workers) total.Add(w.StatsFor(k));
                    var cpu = CpuSample.Between(samples[k], samples[k + 1]);
                    double window = (double)(boundaries[k + 1] - boundaries[k]) / frequency;
                    var result = StepResult.From(step, total, cpu, window);
                    results.Add(result);
                    onStep(result);
                }
            }

            return results;
        }
        finally
        {
            // Threads stop before their sockets close, whether the run ended, was interrupted or failed.
            foreach (LoadWorker w in workers) w.Stop();
            foreach (Thread t in threads) t.Join();
            foreach (LoadWorker w in workers) w.Dispose();
        }
    }

    /// <summary>Load thread <paramref name="thread"/>'s sockets (and programs); a refusal is a <see cref="LoadSetupException"/>.</summary>
    private ILoadTransport Transport(int thread)
    {
        // Clients are spread as evenly as they go: the first (clients mod threads) threads get one more.
        int sockets = _settings.Clients / _settings.Threads + (thread < _settings.Clients % _settings.Threads ? 1 : 0);
        try
        {
            return _settings.Raw is { } raw ? new RawFrameTransport(raw, _settings) : new UdpTransport(thread, sockets, _settings);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            // What the system or the settings refuse (a socket, a BPF program, frames too long for the XDP sender).
            throw new LoadSetupException(e.Message, e);
        }
    }

    private LiveProgress Progress(List<LoadWorker> workers, int k, LoadStep step, long stepStart, CpuSample atStart, CpuSample now, long frequency)
    {
        long elapsed = Stopwatch.GetTimestamp() - stepStart;
        long sent = 0, replies = 0, invalid = 0;
        foreach (LoadWorker w in workers)
        {
            StepStats s = w.StatsFor(k);
            sent += Volatile.Read(ref s.Sent);
            replies += Volatile.Read(ref s.Replies);
            invalid += Volatile.Read(ref s.Invalid);
        }

        double seconds = (double)elapsed / frequency;
        var cpu = CpuSample.Between(atStart, now);
        double? serverCpu = cpu.ServerSeconds;
        double? cpuPercent = serverCpu is double c && seconds > 0 ? 100 * c / seconds : null;
        double? perCpuSecond = serverCpu is double d && d > 0 ? replies / d : null;
        double? userNs = cpu.Server is { } u && replies > 0 ? u.UserSeconds * 1e9 / replies : null;
        double? kernelNs = cpu.Server is { } k2 && replies > 0 ? k2.SystemSeconds * 1e9 / replies : null;
        return new LiveProgress(step, _settings.Steps.Count, Math.Min(seconds, step.Duration.TotalSeconds), sent, replies, invalid, cpuPercent, perCpuSecond,
            userNs, kernelNs);
    }

    private static bool AllPast(List<LoadWorker> workers, int steps)
    {
        foreach (LoadWorker w in workers)
            if (w.CompletedSteps < steps) return false;
        return true;
    }

    private static void ThrowIfFailed(List<LoadWorker> workers)
    {
        foreach (LoadWorker w in workers)
            if (w.Failure is { } e) throw new InvalidOperationException($"Load thread {w.Index} failed: {e.Message}", e);
    }
}

/// <summary>The run could not start: a load thread's transport was refused. The message is one line for the user.</summary>
internal sealed class LoadSetupException(string message, Exception inner) : Exception(message, inner);
