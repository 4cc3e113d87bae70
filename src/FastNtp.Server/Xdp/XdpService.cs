using System.Net;
using FastNtp.Interop.Bpf;
using FastNtp.Interop.Clock;
using FastNtp.Interop.Time;
using FastNtp.Protocol.Server;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Xdp;

/// <summary>
/// The driver path at run time: the loaded program, its links to the interfaces, and the thread that keeps
/// its state current. When XDP cannot be used, <see cref="TryStart"/> says why in one line and the socket
/// engine serves alone.
/// </summary>
public sealed partial class XdpService : IDisposable
{
    /// <summary>How often the state's heartbeat is written (a new snapshot is written when it is published).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);
    /// <summary>A heartbeat older than this (a hung or stopped server) makes the program leave requests to the kernel.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(2);

    private readonly XdpProgram _program;
    private readonly SnapshotPublisher _snapshots;
    private readonly List<BpfLink> _links = [];
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _heartbeat;
    private readonly Lock _tick = new();
    private bool _unloaded;
    private AfXdpEngine? _afXdp;
    private ServerSnapshot? _published;
    private long _publishedTaiOffset;

    private XdpService(XdpProgram program, SnapshotPublisher snapshots)
    {
        _program = program;
        _snapshots = snapshots;
        _heartbeat = new Thread(Run) { IsBackground = true, Name = "xdp-heartbeat" };
    }

    public IReadOnlyList<string> Interfaces { get; private set; } = [];

    public XdpCounterTotals Counters => _program.ReadCounters();

    /// <summary>The AF_XDP workers, or null when they are off or could not start.</summary>
    public AfXdpEngine? AfXdp => _afXdp;

    /// <summary>
    /// Loads, publishes the current state and attaches to every interface, then starts the AF_XDP workers unless
    /// <see cref="XdpSettings.AfXdp"/> is off; null (and one logged line) when XDP is unavailable.
    /// </summary>
    public static XdpService? TryStart(
        XdpSettings settings, IReadOnlyList<IPEndPoint> endpoints, XdpPolicy policy, SnapshotPublisher snapshots, Func<Responder> createResponder,
        ILogger logger)
    {
        IReadOnlyList<string> interfaces = settings.Interfaces;
        XdpAttachMode mode = settings.Mode;
        if (!OperatingSystem.IsLinux())
        {
            LogUnavailable(logger, "XDP needs Linux");
            return null;
        }

        XdpService? service = null;
        string stage = "load";
        try
        {
            service = new XdpService(XdpProgram.Load(endpoints, StaleAfter, policy), snapshots);
            service.Tick();
            // The snapshot source may start after the program is attached (after a privilege drop): its first
            // snapshot reaches the map at once, not at the next heartbeat.
            snapshots.Changed += service.Tick;
            foreach (string name in interfaces)
            {
                stage = $"attach to {name} ({mode.ToString().ToLowerInvariant()} mode)";
                service._links.Add(service._program.Attach(name, mode));
            }

            service.Interfaces = [.. interfaces];
            service._heartbeat.Start();
            LogAttached(logger, string.Join(", ", interfaces), mode.ToString().ToLowerInvariant());
            if (settings.AfXdp) service._afXdp = AfXdpEngine.TryStart(service._program, settings, snapshots, createResponder, logger);
            return service;
        }
        catch (Exception e) when (e is BpfException or InvalidOperationException or ArgumentException or DllNotFoundException or EntryPointNotFoundException)
        {
            service?.Dispose();
            LogUnavailable(logger, $"{stage}: {e.Message}");
            return null;
        }
    }

    private void Run()
    {
        while (!_stop.Wait(HeartbeatInterval)) Tick();
    }

    /// <summary>
    /// Publishes the snapshot when it or the TAI offset changed, and beats in any case. The heartbeat thread and the
    /// publisher's thread both call it: one writer at a time, or the two-slot generation protocol tears.
    /// </summary>
    private void Tick()
    {
        lock (_tick)
        {
            if (!_unloaded) TickLocked();
        }
    }

    private void TickLocked()
    {
        ServerSnapshot snapshot = _snapshots.Current;
        long taiOffset = KernelClock.Read().Tai * 1_000_000_000L;
        long now = SystemTai.Nanoseconds();
        if (!ReferenceEquals(snapshot, _published) || taiOffset != _publishedTaiOffset)
        {
            _program.State.Publish(snapshot, taiOffset, now);
            _published = snapshot;
            _publishedTaiOffset = taiOffset;
        }
        else
        {
            _program.State.Beat(now);
        }
    }

    /// <summary>Detaches from every interface, stops the AF_XDP workers and the heartbeat, and unloads the program.</summary>
    public void Dispose()
    {
        _snapshots.Changed -= Tick;
        foreach (BpfLink link in _links) link.Dispose();
        _links.Clear();
        _afXdp?.Dispose();
        _stop.Set();
        if (_heartbeat.IsAlive) _heartbeat.Join();
        lock (_tick)
        {
            _unloaded = true;
            _program.Dispose();
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "XDP: answering plain NTP in the driver on {Interfaces} ({Mode} mode)")]
    private static partial void LogAttached(ILogger logger, string interfaces, string mode);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "XDP unavailable, the socket engine serves alone: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
