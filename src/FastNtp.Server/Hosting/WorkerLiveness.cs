using FastNtp.Server.Metrics;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Tells a live server from a stuck one: every worker must turn its receive loop (idle workers turn it on their
/// receive timeout, 200 ms). One stuck worker is enough to withhold the watchdog or fail the health check.
/// Each asks its own instance: both questions compare with what the instance saw last.
/// </summary>
public sealed class WorkerLiveness(IReadOnlyList<WorkerCounters> workers)
{
    private readonly long[] _lastLoops = new long[workers.Count];
    private readonly long[] _movedAt = new long[workers.Count];

    public int Count => workers.Count;

    /// <summary>True when every worker made progress since the last call (or since construction).</summary>
    public bool AllProgressed()
    {
        bool all = true;
        for (int i = 0; i < workers.Count; i++)
        {
            long loops = Volatile.Read(ref workers[i].Loops);
            if (loops == _lastLoops[i]) all = false;
            _lastLoops[i] = loops;
        }

        return all && workers.Count > 0;
    }

    /// <summary>
    /// How many workers have not turned their loop for longer than <paramref name="stallAfter"/>, as seen by
    /// calls at <paramref name="nowMilliseconds"/> (a monotonic clock such as <see cref="Environment.TickCount64"/>);
    /// the first call sees every worker move.
    /// </summary>
    public int Stalled(long nowMilliseconds, TimeSpan stallAfter)
    {
        int stalled = 0;
        for (int i = 0; i < workers.Count; i++)
        {
            long loops = Volatile.Read(ref workers[i].Loops);
            if (loops != _lastLoops[i] || _movedAt[i] == 0) (_lastLoops[i], _movedAt[i]) = (loops, nowMilliseconds);
            else if (nowMilliseconds - _movedAt[i] > stallAfter.TotalMilliseconds) stalled++;
        }

        return stalled;
    }
}
