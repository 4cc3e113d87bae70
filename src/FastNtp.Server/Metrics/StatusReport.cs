using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;

namespace FastNtp.Server.Metrics;

/// <summary>What the server advertises right now, as operators read it.</summary>
public sealed record AdvertisedState(
    bool Synchronized, int Leap, int Stratum, string ReferenceId, DateTime? ReferenceTime,
    double RootDelaySeconds, double RootDispersionSeconds, int Precision)
{
    public static AdvertisedState From(ServerSnapshot s, Protocol.Ntp.NtpTimestamp now) => new(
        s.IsSynchronized,
        (int)s.Leap,
        s.Stratum,
        s.ReferenceId.ToString(s.Stratum),
        s.ReferenceTime.IsZero ? null : s.ReferenceTime.ToDateTime(DateTime.UtcNow),
        s.RootDelay.TotalSeconds,
        Protocol.Ntp.NtpDuration.FromShortFormat(s.RootDispersionAt(now)).TotalSeconds,
        s.Precision);
}

/// <summary>NTS-protected requests by outcome, summed over workers, and the NTS-KE server's figures when it runs here.</summary>
/// <param name="SessionCacheMisses">Requests whose session keys were not among a worker's cached key objects.</param>
public sealed record NtsCounters(long Authenticated, long Naks, long Rejected, long SessionCacheMisses, Nts.NtsKeCounters? KeyExchange)
{
    public static NtsCounters From(CounterTotals workers, Nts.NtsKeCounters? keyExchange) => new(
        workers.NtsAuthenticated, workers.NtsNaks, workers.Dropped.GetValueOrDefault(DropReason.NtsInvalid), workers.NtsSessionKeyLoads, keyExchange);
}

/// <summary>The XDP driver path: where it is attached and what it did (requests it answered never reach <see cref="StatusReport.Counters"/>).</summary>
public sealed record XdpStatus(IReadOnlyList<string> Interfaces, Xdp.XdpCounterTotals Counters)
{
    /// <summary>The AF_XDP workers' frame counts (their responder counts are in <see cref="StatusReport.Counters"/>); null when off.</summary>
    public Xdp.AfXdpTotals? AfXdp { get; init; }
}

/// <summary>One Server:HwTimestamp interface: whether its packets get hardware stamps now, and if not, why.</summary>
/// <param name="Active">Hardware stamping on and its PHC tracked: stamps are converted from the NIC's clock.</param>
/// <param name="Detail">What the start-up log said about the interface.</param>
/// <param name="PhcOffsetSeconds">PHC − system at the last sample, while tracked.</param>
/// <param name="PhcFrequencyPpm">How fast the PHC runs against the system clock, while tracked.</param>
public sealed record HwTimestampStatus(string Interface, bool Active, string Detail, double? PhcOffsetSeconds, double? PhcFrequencyPpm);

/// <summary>The document behind /status and `fastntp status`.</summary>
public sealed record StatusReport(
    string Version,
    DateTime GeneratedAt,
    string Engine,
    int Workers,
    AdvertisedState Advertised,
    CounterTotals Counters,
    NtsCounters? Nts,
    IReadOnlyList<SourceStatus> Sources)
{
    /// <summary>Null when the XDP path is off or unavailable.</summary>
    public XdpStatus? Xdp { get; init; }

    /// <summary>The interfaces of Server:HwTimestamp, in configuration order; empty when it is off.</summary>
    public IReadOnlyList<HwTimestampStatus> HardwareTimestamps { get; init; } = [];

    /// <summary><see cref="Counters"/> split by where the requests came in.</summary>
    public IReadOnlyList<ListenerCounters> Listeners { get; init; } = [];
}

/// <summary>The counters of the workers serving one listener: a bound address, or the AF_XDP sockets together.</summary>
public sealed record ListenerCounters(string Listener, int Workers, CounterTotals Counters)
{
    /// <summary>The listener name of the AF_XDP workers.</summary>
    public const string AfXdp = "af_xdp";

    /// <summary>
    /// Each bound address's workers summed, then the AF_XDP workers'. Engines lay out their workers address by
    /// address, the same number for each (<see cref="Hosting.IPacketEngine.Counters"/>).
    /// </summary>
    public static IReadOnlyList<ListenerCounters> From(Hosting.IPacketEngine? engine, IReadOnlyList<WorkerCounters> afXdp)
    {
        var listeners = new List<ListenerCounters>();
        if (engine is { BoundEndpoints.Count: > 0 })
        {
            IReadOnlyList<WorkerCounters> workers = engine.Counters;
            int each = workers.Count / engine.BoundEndpoints.Count;
            for (int i = 0; i < engine.BoundEndpoints.Count; i++)
            {
                WorkerCounters[] own = [.. workers.Skip(i * each).Take(each)];
                listeners.Add(new(engine.BoundEndpoints[i].ToString(), own.Length, CounterTotals.Sum(own)));
            }
        }

        if (afXdp.Count > 0) listeners.Add(new(AfXdp, afXdp.Count, CounterTotals.Sum(afXdp)));
        return listeners;
    }
}
