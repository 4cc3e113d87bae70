using FastNtp.Server.Metrics;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Tells a live server from a stuck one: every worker must have turned its receive loop since the previous
/// check (idle workers turn it on their receive timeout). One stuck worker is enough to withhold the watchdog.
/// </summary>
public sealed class WorkerLiveness(IReadOnlyList<WorkerCounters> workers)
{
    private readonly long[] _lastLoops = new long[workers.Count];

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
}
