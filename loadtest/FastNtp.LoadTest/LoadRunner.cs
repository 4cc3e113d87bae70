using System.Diagnostics;

namespace FastNtp.LoadTest;

/// <summary>Live figures of the step in progress, summed over threads.</summary>
internal readonly record struct LiveProgress(LoadStep Step, int StepCount, double ElapsedSeconds, long Sent, long Replies, long Invalid);

/// <summary>Starts the load threads on one shared timeline and collects each step's figures once every thread is past it.</summary>
internal sealed class LoadRunner
{
    private readonly LoadSettings _settings;

    public LoadRunner(LoadSettings settings) => _settings = settings;

    /// <param name="onProgress">Called about four times a second from the calling thread.</param>
    /// <param name="onStep">Called from the calling thread as each step completes.</param>
    public IReadOnlyList<StepResult> Run(Action<LiveProgress> onProgress, Action<StepResult> onStep, CancellationToken cancel)
    {
        var workers = new List<LoadWorker>(_settings.Threads);
        var threads = new List<Thread>(_settings.Threads);
        try
        {
            for (int t = 0; t < _settings.Threads; t++)
            {
                // Clients are spread as evenly as they go: the first (clients mod threads) threads get one more.
                int sockets = _settings.Clients / _settings.Threads + (t < _settings.Clients % _settings.Threads ? 1 : 0);
                workers.Add(new LoadWorker(t, sockets, _settings));
            }

            long frequency = Stopwatch.Frequency;
            // A short lead lets every thread reach its loop before the first step starts.
            long start = Stopwatch.GetTimestamp() + frequency / 5;
            foreach (LoadWorker w in workers) threads.Add(w.Start(start));

            var results = new List<StepResult>(_settings.Steps.Count);
            IReadOnlyList<LoadStep> timeline = _settings.Timeline;
            int first = timeline.Count - _settings.Steps.Count;
            long stepStart = start;
            for (int k = 0; k < timeline.Count; k++)
            {
                LoadStep step = timeline[k];
                while (!AllPast(workers, k + 1))
                {
                    if (cancel.IsCancellationRequested) return results;
                    Thread.Sleep(250);
                    ThrowIfFailed(workers);
                    long elapsed = Stopwatch.GetTimestamp() - stepStart;
                    long sent = 0, replies = 0, invalid = 0;
                    foreach (LoadWorker w in workers)
                    {
                        StepStats s = w.StatsFor(k);
                        sent += Volatile.Read(ref s.Sent);
                        replies += Volatile.Read(ref s.Replies);
                        invalid += Volatile.Read(ref s.Invalid);
                    }

                    onProgress(new LiveProgress(step, _settings.Steps.Count, Math.Min((double)elapsed / frequency, step.Duration.TotalSeconds), sent, replies, invalid));
                }

                ThrowIfFailed(workers);
                if (k >= first)
                {
                    var total = new StepStats();
                    foreach (LoadWorker w in workers) total.Add(w.StatsFor(k));
                    StepResult result = StepResult.From(step, total);
                    results.Add(result);
                    onStep(result);
                }

                stepStart += (long)((step.Duration + _settings.Drain).TotalSeconds * frequency);
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
