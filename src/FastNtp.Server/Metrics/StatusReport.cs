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
}
