using System.Globalization;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FastNtp.Server.Metrics;

/// <summary>
/// <c>GET /healthz</c>: healthy while the server advertises synchronized time (an upstream selected, the local
/// clock at --local-stratum, or the kernel's clock followed) and every worker turns its loop; the description
/// says which part failed. <c>/healthz/live</c> asks only about the workers, for a liveness probe that must not
/// restart a server merely waiting for its sources.
/// </summary>
public sealed class ServingHealthCheck(Func<ServerSnapshot> snapshot, IReadOnlyList<WorkerCounters> workers) : IHealthCheck
{
    /// <summary>A worker whose loop stood still this long is stuck: an idle one turns it every 200 ms.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(5);

    public const string LiveTag = "live";

    private readonly WorkerLiveness _liveness = new(workers);
    private readonly Lock _lock = new();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        int stalled;
        lock (_lock) stalled = _liveness.Stalled(Environment.TickCount64, StallAfter);
        string workersLine = stalled == 0
            ? $"{_liveness.Count} of {_liveness.Count} workers turning"
            : $"{stalled} of {_liveness.Count} workers stalled for over {StallAfter.TotalSeconds:0} s";
        bool alive = stalled == 0 && _liveness.Count > 0;
        if (context.Registration.Tags.Contains(LiveTag))
            return Task.FromResult(alive ? HealthCheckResult.Healthy(workersLine) : HealthCheckResult.Unhealthy(workersLine));

        ServerSnapshot s = snapshot();
        string sync = s.IsSynchronized
            ? string.Create(CultureInfo.InvariantCulture, $"synchronized, stratum {s.Stratum}")
            : string.Create(CultureInfo.InvariantCulture, $"not synchronized (stratum {s.Stratum}, leap {(int)s.Leap})");
        string description = $"{sync}; {workersLine}";
        return Task.FromResult(s.IsSynchronized && alive ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
    }
}
