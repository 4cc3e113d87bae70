using FastNtp.Interop.Memory;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Nts;

/// <summary>
/// Gives back the memory a burst of NTS-KE connections (a flood of refused, idle or half-open connections) leaves
/// behind once it is over. Such a burst allocates briefly on many threads: glibc keeps what they free in its
/// per-thread arenas, the GC keeps the generation-0 budget it grew to, and neither shrinks by itself while the
/// server is quiet, so every flood raised the resident size for good. Checked every <see cref="Interval"/>: when at
/// least <see cref="BurstConnections"/> connections came since the last quiet interval and fewer than
/// <see cref="QuietConnections"/> in the last one, the burst is over and <see cref="Release"/> runs: one compacting
/// collection that decommits the free GC regions, then malloc_trim. A steady load never triggers it.
/// </summary>
internal sealed partial class NtsKeMemoryRelease(Func<NtsKeMemoryReleased> release, ILogger logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public const long BurstConnections = 1000;
    public const long QuietConnections = 50;

    private readonly Lock _gate = new();
    private long _sinceCheck;
    private long _burst;
    private long _releases;

    /// <summary>Bursts whose memory was released so far.</summary>
    public long Releases => Interlocked.Read(ref _releases);

    /// <summary>Releases what the GC and glibc hold free, what runs when a burst is over; the resident size at each step.</summary>
    public static NtsKeMemoryReleased Release()
    {
        long before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long afterCollection = Environment.WorkingSet;
        NativeHeap.Trim();
        return new NtsKeMemoryReleased(before, afterCollection, Environment.WorkingSet);
    }

    /// <summary>A connection arrived (admitted or not): called once per connection, from any thread.</summary>
    public void Connected() => Interlocked.Increment(ref _sinceCheck);

    /// <summary>Runs every <see cref="Interval"/>; true when it released a finished burst's memory.</summary>
    public bool Check()
    {
        long burst;
        lock (_gate)
        {
            long recent = Interlocked.Exchange(ref _sinceCheck, 0);
            _burst += recent;
            if (recent >= QuietConnections) return false;
            burst = _burst;
            _burst = 0;
        }

        if (burst < BurstConnections) return false;
        NtsKeMemoryReleased released = release();
        Interlocked.Increment(ref _releases);
        const int mb = 1024 * 1024;
        LogReleased(logger, burst, released.Before / mb, released.AfterCollection / mb, released.AfterTrim / mb);
        return true;
    }

    [LoggerMessage(EventId = 2032, Level = LogLevel.Information,
        Message = "NTS-KE burst of {Connections} connections over: resident {Before} MB, {AfterCollection} MB after a compacting collection, {AfterTrim} MB after malloc_trim")]
    private static partial void LogReleased(ILogger logger, long connections, long before, long afterCollection, long afterTrim);
}

/// <summary>The resident size (bytes) before <see cref="NtsKeMemoryRelease.Release"/>, after its collection and after malloc_trim.</summary>
internal readonly record struct NtsKeMemoryReleased(long Before, long AfterCollection, long AfterTrim);
