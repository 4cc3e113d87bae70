using System.Globalization;
using FastNtp.Protocol.Server;
using FastNtp.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>
/// What a <c>Type=notify</c> unit hears from the running server: <c>READY=1</c> once everything is bound and
/// started, a <c>STATUS=</c> line (synchronized?, stratum, requests/s) and, while every worker makes progress,
/// <c>WATCHDOG=1</c> at half the watchdog interval; <c>STOPPING=1</c> when the stop begins.
/// </summary>
public sealed partial class SystemdService : IAsyncDisposable
{
    /// <summary>How often the status line is refreshed when systemd runs no watchdog.</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(10);

    private readonly SystemdNotifier _notifier;
    private readonly Func<CounterTotals> _totals;
    private readonly Func<ServerSnapshot> _snapshot;
    private readonly WorkerLiveness _liveness;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _lastReceived;
    private long _lastTicks;
    private bool _withheld;

    private SystemdService(SystemdNotifier notifier, ServerHost host, ILogger logger)
    {
        _notifier = notifier;
        _totals = () => host.Totals;
        _snapshot = () => host.Snapshots.Current;
        _liveness = new WorkerLiveness(host.Workers);
        _logger = logger;
        _lastReceived = _totals().Received;
        _lastTicks = Environment.TickCount64;
        _notifier.Send($"READY=1\nSTATUS={Status(0)}");
        TimeSpan period = notifier.WatchdogInterval is { } watchdog ? watchdog / 2 : StatusInterval;
        _loop = RunAsync(period);
    }

    /// <summary>Tells systemd the server is ready, when systemd asked to be told; null otherwise.</summary>
    public static SystemdService? Start(ServerHost host, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(host);
        var notifier = SystemdNotifier.FromEnvironment();
        return notifier is null ? null : new SystemdService(notifier, host, logger);
    }

    private async Task RunAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) Tick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Tick()
    {
        long now = Environment.TickCount64;
        long received = _totals().Received;
        double perSecond = (received - _lastReceived) * 1000.0 / Math.Max(1, now - _lastTicks);
        (_lastReceived, _lastTicks) = (received, now);

        bool alive = _liveness.AllProgressed();
        string message = $"STATUS={Status(perSecond)}";
        if (alive && _notifier.WatchdogInterval is not null) message += "\nWATCHDOG=1";
        _notifier.Send(message);

        // Log the change, not every tick: a stuck worker is news once, and so is its recovery.
        if (!alive && !_withheld) LogWorkerStuck(_logger);
        else if (alive && _withheld) LogWorkersRecovered(_logger);
        _withheld = !alive;
    }

    private string Status(double requestsPerSecond)
    {
        ServerSnapshot snapshot = _snapshot();
        string state = snapshot.IsSynchronized ? "synchronized" : "unsynchronized";
        return string.Create(CultureInfo.InvariantCulture, $"{state}, stratum {snapshot.Stratum}, {requestsPerSecond:0} requests/s");
    }

    public async ValueTask DisposeAsync()
    {
        _notifier.Send("STOPPING=1");
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _notifier.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A worker made no progress in the last watchdog period: systemd's watchdog heartbeat is withheld")]
    private static partial void LogWorkerStuck(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every worker makes progress again: watchdog heartbeats resumed")]
    private static partial void LogWorkersRecovered(ILogger logger);
}
