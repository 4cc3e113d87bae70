using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace FastNtp.Server.Metrics;

/// <summary>
/// A small HTTP endpoint for monitoring: at /metrics the <see cref="ServerMeter"/>'s instruments, the process's
/// and the runtime's (the "System.Runtime" meter) as Prometheus text, exported by prometheus-net; the JSON status
/// document at /status, the client log at /clients and the health checks at /healthz and /healthz/live. It
/// reads counters and tables on demand, so the packet path does no work for it.
/// </summary>
public sealed class MetricsServer(
    IPEndPoint endpoint, int maxConnections, Meter meter, Func<StatusReport> report, Func<ClientLogReport> clients, IHealthCheck health)
    : IAsyncDisposable
{
    /// <summary>The runtime's own meter (GC, JIT, thread pool, exceptions), published since .NET 9.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    private WebApplication? _app;
    private IDisposable? _adapter;

    public async Task StartAsync()
    {
        CollectorRegistry registry = CreateRegistry(meter, out _adapter);

        // Empty: no appsettings.json, no ASPNETCORE_* or DOTNET_* variables, no Kestrel section, so nothing but
        // Metrics:Listen decides where this listens.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = maxConnections;
            k.Listen(endpoint);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddHealthChecks()
            .AddCheck("serving", health)
            .AddCheck("workers", health, tags: [ServingHealthCheck.LiveTag]);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        WebApplication app = builder.Build();
        app.MapMetrics(settings => settings.Registry = registry);
        app.MapGet("/status", () => Results.Text(JsonSerializer.Serialize(report(), StatusJsonContext.Default.StatusReport), "application/json", Encoding.UTF8));
        app.MapGet("/clients", () => Results.Text(JsonSerializer.Serialize(clients(), StatusJsonContext.Default.ClientLogReport), "application/json", Encoding.UTF8));
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = r => !r.Tags.Contains(ServingHealthCheck.LiveTag), ResponseWriter = WriteHealth });
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ServingHealthCheck.LiveTag), ResponseWriter = WriteHealth });
        await app.StartAsync().ConfigureAwait(false);
        _app = app;
    }

    /// <summary>
    /// A registry of this server's own: <paramref name="meter"/>'s instruments and the runtime's through
    /// prometheus-net's meter adapter (dispose it to stop listening), and the process metrics.
    /// </summary>
    internal static CollectorRegistry CreateRegistry(Meter meter, out IDisposable adapter)
    {
        CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = null, // into Registry, not prometheus-net's process-wide default
            InstrumentFilterPredicate = i => ReferenceEquals(i.Meter, meter) || i.Meter.Name == RuntimeMeterName,
        });
        return registry;
    }

    /// <summary>One line: the status, then what the check saw ("Unhealthy: not synchronized (stratum 16, leap 3); ...").</summary>
    private static Task WriteHealth(HttpContext context, HealthReport health)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync($"{health.Status}: {string.Join("; ", health.Entries.Values.Select(e => e.Description))}\n");
    }

    public async ValueTask DisposeAsync()
    {
        _adapter?.Dispose();
        _adapter = null;
        if (_app is null) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }
}
