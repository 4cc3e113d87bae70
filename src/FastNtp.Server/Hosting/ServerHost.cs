using System.Net;
using FastNtp.Protocol.Server;
using FastNtp.Server.Configuration;
using FastNtp.Server.Engine;
using FastNtp.Interop.OpenSsl;
using FastNtp.Interop.Sockets;
using FastNtp.Server.Metrics;
using FastNtp.Server.Nts;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>Builds the running server from options: the snapshot source, the packet engine, and their lifetimes.</summary>
public sealed partial class ServerHost : IAsyncDisposable
{
    private readonly FastNtpOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<IDisposable> _owned = [];
    private IPacketEngine? _engine;
    private MetricsServer? _metrics;
    private NtsService? _nts;
    private Synchronizer? _sync;
    private int _workers;

    public ServerHost(FastNtpOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("FastNtp.Server");
        Precision = ClockPrecision.Measure();
        Snapshots = new SnapshotPublisher(ServerSnapshot.Unsynchronized(Precision));
    }

    public SnapshotPublisher Snapshots { get; }

    public sbyte Precision { get; }

    public IReadOnlyList<IPEndPoint> Endpoints { get; private set; } = [];

    public IPacketEngine Engine => _engine ?? throw new InvalidOperationException("The server has not started.");

    public CounterTotals Totals => CounterTotals.Sum(_engine?.Counters ?? []);

    /// <summary>Binds and starts everything; a failure here (a port in use, say) stops start-up with its reason.</summary>
    public async Task StartAsync()
    {
        Endpoints = ResolveEndpoints(_options.Server);
        StartSnapshotSource();

        await StartNtsAsync().ConfigureAwait(false);

        _workers = _options.Server.Workers > 0 ? _options.Server.Workers : Environment.ProcessorCount;
        Func<Responder> createResponder = _nts is null ? () => new Responder() : _nts.CreateResponder;
        var settings = new EngineSettings(Endpoints, _workers, Snapshots, createResponder, _options.Server.PinWorkers);
        _engine = CreateEngine(_options.Server.Engine, settings, _loggerFactory);
        try
        {
            _engine.Start();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new ConfigurationException($"--listen: cannot bind {string.Join(", ", Endpoints)}: {e.Message}");
        }

        if (_options.Metrics.Listen is { Length: > 0 } metricsListen)
        {
            EndpointParser.TryParseAddress(metricsListen, 0, out IPEndPoint? metricsEndpoint);
            _metrics = new MetricsServer(metricsEndpoint!, Report);
            try
            {
                await _metrics.StartAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConfigurationException($"--metrics-listen: cannot bind {metricsEndpoint}: {e.Message}");
            }
        }

        LogStarted(_logger, _engine.Name, string.Join(", ", Endpoints), _workers, Precision);
    }

    /// <summary>
    /// NTS is on when this server issues cookies (an NTS-KE listener) or accepts a fleet's cookies (a key file);
    /// a fleet's NTP-only servers set just the key file.
    /// </summary>
    private async Task StartNtsAsync()
    {
        NtsOptions nts = _options.Nts;
        if (string.IsNullOrEmpty(nts.KeListen) && string.IsNullOrEmpty(nts.KeyFile)) return;
        // Clients assume port 123 unless NTS-KE names another; name ours when it is not 123.
        if (nts.NtpPort is null && Endpoints[0].Port != OptionsValidator.DefaultNtpPort) nts.NtpPort = Endpoints[0].Port;
        try
        {
            _nts = NtsService.Create(nts, _loggerFactory);
            await _nts.StartAsync().ConfigureAwait(false);
        }
        catch (OpenSslException e)
        {
            throw new ConfigurationException($"--cert/--key: {e.Message}");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new ConfigurationException($"--nts-ke-listen: cannot bind {nts.KeListen}: {e.Message}");
        }
    }

    public StatusReport Report() => new(
        typeof(ServerHost).Assembly.GetName().Version?.ToString() ?? "0",
        DateTime.UtcNow,
        _engine?.Name ?? "stopped",
        _workers,
        AdvertisedState.From(Snapshots.Current, new RealtimeClock().Now()),
        Totals,
        _nts?.Totals(Totals),
        _sync?.Sources ?? []);

    public async Task StopAsync()
    {
        if (_metrics is not null) await _metrics.DisposeAsync().ConfigureAwait(false);
        _metrics = null;
        _engine?.Stop();
        if (_nts is not null) await _nts.DisposeAsync().ConfigureAwait(false);
        _nts = null;
        foreach (IDisposable d in _owned) d.Dispose();
        _owned.Clear();
        _sync = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private void StartSnapshotSource()
    {
        if (_options.Sync.Upstream.Count > 0 || _options.Clock.Control == "follow-kernel")
        {
            // With upstreams, --local-stratum is the synchronizer's fallback while it has no selected source.
            _sync = Synchronizer.Create(_options, Snapshots, Precision, _loggerFactory, _options.Sync.NtsCa);
            _sync.Start();
            _owned.Add(_sync);
        }
        else if (_options.Server.LocalStratum is int stratum)
        {
            var local = new LocalClockSource(Snapshots, (byte)stratum, Precision);
            local.Start();
            _owned.Add(local);
            LogLocalStratum(_logger, stratum);
        }
        else
        {
            LogUnsynchronized(_logger);
        }
    }

    private static IPacketEngine CreateEngine(string engine, EngineSettings settings, ILoggerFactory loggers) => engine switch
    {
        "portable" => new PortableEngine(settings),
        "linux" when !LinuxBatchEngine.IsSupported =>
            throw new ConfigurationException("Server:Engine: linux needs Linux on x86-64 or arm64"),
        _ when LinuxBatchEngine.IsSupported => new LinuxBatchEngine(settings, loggers.CreateLogger<LinuxBatchEngine>()),
        _ => new PortableEngine(settings),
    };

    internal static IReadOnlyList<IPEndPoint> ResolveEndpoints(ServerOptions server)
    {
        if (server.Listen.Count == 0)
        {
            return
            [
                new IPEndPoint(IPAddress.Any, OptionsValidator.DefaultNtpPort),
                new IPEndPoint(IPAddress.IPv6Any, OptionsValidator.DefaultNtpPort),
            ];
        }

        var endpoints = new List<IPEndPoint>();
        foreach (string listen in server.Listen)
        {
            EndpointParser.TryParseAddress(listen, OptionsValidator.DefaultNtpPort, out IPEndPoint? endpoint);
            endpoints.Add(endpoint!);
        }

        return endpoints;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving NTP on {Endpoints} with the {Engine} engine, {Workers} worker(s) per address, precision 2^{Precision} s")]
    private static partial void LogStarted(ILogger logger, string engine, string endpoints, int workers, sbyte precision);

    [LoggerMessage(Level = LogLevel.Information, Message = "No upstream source: serving the local clock at stratum {Stratum} (reference id LOCL)")]
    private static partial void LogLocalStratum(ILogger logger, int stratum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No upstream source and no --local-stratum: answering as unsynchronized (leap 3, stratum 16), which clients ignore")]
    private static partial void LogUnsynchronized(ILogger logger);
}
