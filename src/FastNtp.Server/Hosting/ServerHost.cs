using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol;
using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Configuration;
using FastNtp.Server.Engine;
using FastNtp.Server.Metrics;
using FastNtp.Server.Nts;
using FastNtp.Server.Sync;
using FastNtp.Server.Timestamping;
using FastNtp.Server.Xdp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Builds the running server from settings: the snapshot source, the packet engine, and their lifetimes. It is
/// the Generic Host's first hosted service (<see cref="ServerApplication"/>): the host is ready once it has started.
/// </summary>
public sealed partial class ServerHost : IHostedService
{
    private readonly FastNtpSettings _settings;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<IDisposable> _owned = [];
    private IPacketEngine? _engine;
    private MetricsServer? _metrics;
    private ServerMeter? _meter;
    private NtsService? _nts;
    private Synchronizer? _sync;
    private XdpService? _xdp;
    private HardwareTimestamping? _hardwareStamps;
    private LeapService? _leap;
    private readonly Lock _clientLogLock = new();
    private ClientLogReport? _clientLog;
    private long _clientLogAt;

    /// <summary>The shortest time between two gatherings of the client log.</summary>
    public static readonly TimeSpan ClientLogInterval = TimeSpan.FromSeconds(1);

    public ServerHost(FastNtpSettings settings, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("FastNtp.Server");
        Precision = ClockPrecision.Measure();
        Snapshots = new SnapshotPublisher(ServerSnapshot.Unsynchronized(Precision));
    }

    public SnapshotPublisher Snapshots { get; }

    /// <summary>The leap-second file in use, or null without Clock:LeapFile; its <see cref="LeapService.Reload"/> is for SIGHUP.</summary>
    public LeapService? Leap => _leap;

    public sbyte Precision { get; }

    public IPacketEngine Engine => _engine ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>NTS once started, when configured: the cookie keys and the NTS-KE listener a reload refreshes.</summary>
    public NtsService? Nts => _nts;

    /// <summary>Every worker's counters: the socket engine's and the AF_XDP workers'.</summary>
    public IReadOnlyList<WorkerCounters> Workers => [.. _engine?.Counters ?? [], .. _xdp?.AfXdp?.Counters ?? []];

    public CounterTotals Totals => CounterTotals.Sum(Workers);

    /// <summary>Binds and starts everything; a failure here (a port in use, say) stops start-up with its reason.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ServerSettings server = _settings.Server;
        var drop = PrivilegeDrop.Plan(server, _settings.Clock.Control == ClockControl.Kernel, _logger);

        await StartNtsAsync().ConfigureAwait(false);

        // Before the privilege drop: SIOCSHWTSTAMP needs CAP_NET_ADMIN, /dev/ptpN is root's.
        _hardwareStamps = HardwareTimestamping.Start(server.HwTimestamp.Interfaces, _loggerFactory.CreateLogger("FastNtp.Timestamping"));
        _owned.Add(_hardwareStamps);

        Func<Responder> createResponder = _nts is null ? () => new Responder() : _nts.CreateResponder;
        var engineSettings = new EngineSettings(server.Listen, server.Workers, Snapshots, createResponder, server.PinWorkers)
        {
            Policy = new PolicySettings(_settings.ClientPolicy, _settings.Access.List),
            HardwareClocks = _hardwareStamps.Clocks,
        };
        _engine = CreateEngine(server.Engine, engineSettings, _loggerFactory);
        try
        {
            _engine.Start();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new ConfigurationException($"--listen: cannot bind {string.Join(", ", server.Listen)}: {e.Message}");
        }

        StartXdp(createResponder);

        _meter = new ServerMeter(Report);
        if (_settings.Metrics.Listen is { } metricsEndpoint)
        {
            _metrics = new MetricsServer(metricsEndpoint, _settings.Metrics.MaxConnections, _meter.Meter, Report, Clients,
                new ServingHealthCheck(() => Snapshots.Current, Workers));
            try
            {
                await _metrics.StartAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConfigurationException($"--metrics-listen: cannot bind {metricsEndpoint}: {e.Message}");
            }
        }

        // Everything is bound and every key read: a server started as root becomes its user here, before the
        // snapshot source starts its threads (the synchronizer's and the leap service's inherit CAP_SYS_TIME with
        // clock control kernel).
        if (drop is null) StartSnapshotSource();
        else drop.Apply(StartSnapshotSource);

        LogStarted(_logger, _engine.Name, string.Join(", ", server.Listen), server.Workers, Precision);
    }

    /// <summary>
    /// NTS is on when this server issues cookies (an NTS-KE listener) or accepts a fleet's cookies (a key file);
    /// a fleet's NTP-only servers set just the key file.
    /// </summary>
    private async Task StartNtsAsync()
    {
        NtsSettings nts = _settings.Nts;
        if (!nts.Enabled) return;
        // Clients assume port 123 unless NTS-KE names another; name ours when it is not 123.
        int ntpPort = _settings.Server.Listen[0].Port;
        if (nts.NtpPort is null && ntpPort != ProtocolConstants.NtpPort) nts = nts with { NtpPort = ntpPort };
        try
        {
            _nts = NtsService.Create(nts, _loggerFactory, _settings.NtsKe);
            await _nts.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OpenSslException or InvalidDataException)
        {
            throw new ConfigurationException($"--cert/--key: {e.Message}");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new ConfigurationException($"--nts-ke-listen: cannot bind {nts.KeListener?.Endpoint}: {e.Message}");
        }
    }

    /// <summary>
    /// The driver path in front of the socket engine, which keeps serving everything the XDP program passes
    /// up (and everything, when XDP cannot be used).
    /// </summary>
    private void StartXdp(Func<Responder> createResponder)
    {
        XdpSettings xdp = _settings.Server.Xdp;
        if (xdp.Interfaces.Count == 0) return;
        _xdp = XdpService.TryStart(xdp, _settings.Server.Listen, new XdpPolicy(_settings.ClientPolicy, _settings.Access.Allow, _settings.Access.Deny, Nts: _nts is not null),
            Snapshots, createResponder, _loggerFactory.CreateLogger<XdpService>());
        if (_xdp is not null) _owned.Add(_xdp);
    }

    public StatusReport Report() => new(
        typeof(ServerHost).Assembly.GetName().Version?.ToString() ?? "0",
        DateTime.UtcNow,
        _engine?.Name ?? "stopped",
        _settings.Server.Workers,
        AdvertisedState.From(Snapshots.Current, new RealtimeClock().Now()),
        Totals,
        _nts?.Totals(Totals),
        _sync?.Sources ?? [])
    {
        Xdp = _xdp is null ? null : new XdpStatus(_xdp.Interfaces, _xdp.Counters) { AfXdp = _xdp.AfXdp?.Totals() },
        Listeners = ListenerCounters.From(_engine, _xdp?.AfXdp?.Counters ?? []),
        HardwareTimestamps = _hardwareStamps?.Status() ?? [],
    };

    /// <summary>
    /// The client log, gathered at most once per <see cref="ClientLogInterval"/>: each gathering reads every table
    /// entry, and however often /clients is asked, the workers' cache lines see no more of that than this.
    /// </summary>
    public ClientLogReport Clients()
    {
        lock (_clientLogLock)
        {
            long now = MonotonicTime.Nanoseconds();
            if (_clientLog is null || now - _clientLogAt >= (long)ClientLogInterval.TotalNanoseconds)
            {
                _clientLog = ClientLogReport.From(_engine?.ClientTables ?? [], _settings.RateLimit.Enabled, now);
                _clientLogAt = now;
            }

            return _clientLog;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_metrics is not null) await _metrics.DisposeAsync().ConfigureAwait(false);
        _metrics = null;
        _meter?.Dispose();
        _meter = null;
        _engine?.Stop();
        if (_nts is not null) await _nts.DisposeAsync().ConfigureAwait(false);
        _nts = null;
        foreach (IDisposable d in _owned) d.Dispose();
        _owned.Clear();
        _sync = null;
        _xdp = null;
        _leap = null;
        _hardwareStamps = null;
    }

    private void StartSnapshotSource()
    {
        ClockSettings clock = _settings.Clock;
        SyncSettings sync = _settings.Sync;
        if (clock.Control == ClockControl.FollowKernel)
        {
            if (sync.Upstream.Count > 0) LogUpstreamIgnored(_logger);
            var follow = new FollowKernelLoop(new SystemKernelClock(), clock.Stratum, clock.ReferenceId, Snapshots, Precision,
                _loggerFactory.CreateLogger("FastNtp.Sync"));
            follow.Start();
            _owned.Add(follow);
        }
        else if (sync.Upstream.Count > 0)
        {
            // With upstreams, --local-stratum is the synchronizer's fallback while it has no selected source.
            _sync = new Synchronizer(sync, clock, _settings.Server.LocalStratum, Snapshots, Precision, _loggerFactory.CreateLogger("FastNtp.Sync"));
            _sync.Start();
            _owned.Add(_sync);
        }
        else if (_settings.Server.LocalStratum is byte stratum)
        {
            var local = new LocalClockSource(Snapshots, stratum, Precision);
            local.Start();
            _owned.Add(local);
            LogLocalStratum(_logger, stratum);
        }
        else
        {
            LogUnsynchronized(_logger);
        }

        if (clock.LeapFile is not null)
        {
            _leap = new LeapService(clock, Snapshots, new SystemKernelClock(), _loggerFactory.CreateLogger("FastNtp.Leap"));
            _leap.Start();
            _owned.Add(_leap);
        }
    }

    private static IPacketEngine CreateEngine(EngineKind engine, EngineSettings settings, ILoggerFactory loggers) => engine switch
    {
        EngineKind.Portable => new PortableEngine(settings),
        EngineKind.Linux when !LinuxBatchEngine.IsSupported =>
            throw new ConfigurationException("Server:Engine: linux needs Linux on x86-64 or arm64"),
        _ when LinuxBatchEngine.IsSupported => new LinuxBatchEngine(settings, loggers.CreateLogger<LinuxBatchEngine>()),
        _ => new PortableEngine(settings),
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving NTP on {Endpoints} with the {Engine} engine, {Workers} worker(s) per address, precision 2^{Precision} s")]
    private static partial void LogStarted(ILogger logger, string engine, string endpoints, int workers, sbyte precision);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "No upstream source: serving the local clock at stratum {Stratum} (reference id LOCL)")]
    private static partial void LogLocalStratum(ILogger logger, int stratum);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No upstream source and no --local-stratum: answering as unsynchronized (leap 3, stratum 16), which clients ignore")]
    private static partial void LogUnsynchronized(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Clock:Control follow-kernel polls no upstream; --upstream is ignored")]
    private static partial void LogUpstreamIgnored(ILogger logger);
}
