using System.Globalization;
using FastNtp.Protocol.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>
/// What a <c>Type=notify</c> unit hears from the running server besides the host's own <c>READY=1</c> (once every
/// hosted service has started, so every socket is bound) and <c>STOPPING=1</c>: a <c>STATUS=</c> line
/// (synchronized?, stratum, requests/s) and, while every worker makes progress, <c>WATCHDOG=1</c> at half the
/// watchdog interval.
/// </summary>
public sealed partial class SystemdService(ISystemdNotifier notifier, ServerHost host, ILogger<SystemdService> logger) : IHostedService, IDisposable
{
    /// <summary>How often the status line is refreshed when systemd runs no watchdog.</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(10);

    private readonly TimeSpan? _watchdog = WatchdogFromEnvironment();
    private readonly CancellationTokenSource _stop = new();
    private WorkerLiveness? _liveness;
    private Task _loop = Task.CompletedTask;
    private long _lastReceived;
    private long _lastTicks;
    private bool _withheld;

    /// <summary>Runs after <see cref="ServerHost"/> has started (hosted services start in order).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _liveness = new WorkerLiveness(host.Workers);
        _lastReceived = host.Totals.Received;
        _lastTicks = Environment.TickCount64;
        Send($"STATUS={Status(0)}");
        _loop = RunAsync(_watchdog is { } watchdog ? watchdog / 2 : StatusInterval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>
    /// <c>$WATCHDOG_USEC</c> when it is meant for this process: systemd sets <c>$WATCHDOG_PID</c> so that a child
    /// inheriting the environment does not take the watchdog for its own.
    /// </summary>
    private static TimeSpan? WatchdogFromEnvironment()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long microseconds) || microseconds <= 0) return null;
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && (!int.TryParse(pid, out int owner) || owner != Environment.ProcessId)) return null;
        return TimeSpan.FromMicroseconds(microseconds);
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
        long received = host.Totals.Received;
        double perSecond = (received - _lastReceived) * 1000.0 / Math.Max(1, now - _lastTicks);
        (_lastReceived, _lastTicks) = (received, now);

        bool alive = _liveness!.AllProgressed();
        string message = $"STATUS={Status(perSecond)}";
        if (alive && _watchdog is not null) message += "\nWATCHDOG=1";
        Send(message);

        // Log the change, not every tick: a stuck worker is news once, and so is its recovery.
        if (!alive && !_withheld) LogWorkerStuck(logger);
        else if (alive && _withheld) LogWorkersRecovered(logger);
        _withheld = !alive;
    }

    private void Send(string message) => notifier.Notify(new ServiceState(message));

    private string Status(double requestsPerSecond)
    {
        ServerSnapshot snapshot = host.Snapshots.Current;
        string state = snapshot.IsSynchronized ? "synchronized" : "unsynchronized";
        return string.Create(CultureInfo.InvariantCulture, $"{state}, stratum {snapshot.Stratum}, {requestsPerSecond:0} requests/s");
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "A worker made no progress in the last watchdog period: systemd's watchdog heartbeat is withheld")]
    private static partial void LogWorkerStuck(ILogger logger);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Every worker makes progress again: watchdog heartbeats resumed")]
    private static partial void LogWorkersRecovered(ILogger logger);
}
