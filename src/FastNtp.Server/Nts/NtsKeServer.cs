using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using FastNtp.Crypto;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ObjectPool;

namespace FastNtp.Server.Nts;

/// <summary>How an NTS-KE server listens, what it hands out and how much a client may cost it.</summary>
public sealed record NtsKeServerSettings
{
    public required IPEndPoint Listen { get; init; }
    public required string CertificatePath { get; init; }
    public required string PrivateKeyPath { get; init; }
    /// <summary>NTP server name handed to clients when NTP is served from another host; null means this host.</summary>
    public string? NtpServer { get; init; }
    /// <summary>NTP port handed to clients; null sends no port record (clients use 123).</summary>
    public int? NtpPort { get; init; }
    /// <summary>
    /// Connection limits and timeouts: MaxConnections is Kestrel's MaxConcurrentConnections (more are closed at once),
    /// the per-address limits are <see cref="NtsKeAdmission"/>'s.
    /// </summary>
    public NtsKeSettings Limits { get; init; } = NtsKeSettings.Default;
    /// <summary>Largest request (all records up to End of Message) accepted.</summary>
    public int MaxRequestLength { get; init; } = 1024;
    public int CookiesPerResponse { get; init; } = NtsKeServerPolicy.MaxCookiesPerResponse;
    /// <summary>
    /// Decides, before the TLS handshake and the per-address limits, whether a client address may connect at all;
    /// null admits everyone. Runs on the connection's thread for every connection: keep it cheap.
    /// </summary>
    public Func<IPAddress, bool>? Admit { get; init; }
}

/// <summary>
/// The NTS-KE service (RFC 8915 section 4) on Kestrel's connection pipeline: Kestrel accepts, caps concurrent
/// connections and tracks every connection until it ends (a stop drains them); each connection runs TLS 1.3 with
/// ALPN ntske/1 through OpenSSL (<see cref="TlsDuplexPipe"/>) and one <see cref="NtsKeServerSession"/>: one request,
/// one response with keys and cookies, close. A slow or hostile client holds one connection until its timeout,
/// never more. <see cref="ReloadCertificate"/> (SIGHUP) swaps in the files' current certificate and key; a broken,
/// expired or exposed new pair keeps the old one.
/// </summary>
public sealed partial class NtsKeServer : IAsyncDisposable
{
    private static readonly AeadAlgorithm[] ServerAlgorithms = BuildSupported();

    private readonly NtsKeServerSettings _settings;
    private readonly ILogger _logger;
    private readonly ObjectPool<NtsCookieCodec> _codecs;
    private readonly NtsKeServerCounters _counters = new();
    private readonly NtsKeRefusalLog _refusalLog;
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _app;
    private ListenOptions? _listen;
    private MeterListener? _rejections;
    private ITimer? _expiryTimer;
    private ITimer? _memoryTimer;
    private NtsKeCertificate? _certificate;

    public NtsKeServer(NtsKeServerSettings settings, CookieKeyStore keys, ILogger<NtsKeServer>? logger = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Limits.MaxConnections, 1);
        Policy = new NtsKeServerPolicy(ServerAlgorithms, settings.MaxRequestLength, settings.CookiesPerResponse, settings.NtpServer, settings.NtpPort);
        _logger = logger ?? NullLogger<NtsKeServer>.Instance;
        Admission = new NtsKeAdmission(settings.Limits);
        _refusalLog = new NtsKeRefusalLog(_logger);
        MemoryRelease = new NtsKeMemoryRelease(NtsKeMemoryRelease.Release, _logger);
        // A codec holds AEAD objects re-keyed per key rotation; connections borrow one instead of sharing one behind a lock.
        _codecs = new DefaultObjectPoolProvider { MaximumRetained = Math.Min(settings.Limits.MaxConnections, Environment.ProcessorCount * 4) }
            .Create(new CookieCodecPolicy(keys));
    }

    internal NtsKeServerPolicy Policy { get; }

    internal NtsKeServerSettings Settings => _settings;

    internal ILogger Logger => _logger;

    internal NtsKeServerCounters LiveCounters => _counters;

    internal NtsKeAdmission Admission { get; }

    internal NtsKeMemoryRelease MemoryRelease { get; }

    /// <summary>A connection closed before its handshake by a per-address limit: counted, and logged at most once per interval.</summary>
    internal void OverLimit(NtsKeRefusal reason, IPAddress address)
    {
        _counters.OverLimit(reason);
        _refusalLog.Refused(reason, address);
    }

    /// <summary>Cancelled when the server stops: open connections give up their waits.</summary>
    internal CancellationToken Stopping => _stop.Token;

    internal TlsContext Context => Volatile.Read(ref _certificate)!.Context;

    /// <summary>The certificate in service (its validity for the expiry warning and gauge).</summary>
    public NtsKeCertificate Certificate => Volatile.Read(ref _certificate) ?? throw new InvalidOperationException("Not started.");

    internal ObjectPool<NtsCookieCodec> Codecs => _codecs;

    /// <summary>Where the listener is bound (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => _listen?.IPEndPoint ?? throw new InvalidOperationException("Not started.");

    public NtsKeCounters Counters => _counters.Snapshot() with { CertificateNotAfter = Volatile.Read(ref _certificate)?.NotAfter.UtcDateTime };

    /// <summary>
    /// Loads the certificate (throwing <see cref="OpenSslException"/> or <see cref="InvalidDataException"/> when it is
    /// unusable, outside its validity or its key exposed), binds (throwing <see cref="IOException"/>) and starts accepting.
    /// </summary>
    public async Task StartAsync()
    {
        if (_app is not null) throw new InvalidOperationException("Already started.");
        _certificate = NtsKeCertificate.Load(_settings.CertificatePath, _settings.PrivateKeyPath, DateTimeOffset.UtcNow);

        // Empty, as the metrics listener: no appsettings.json or ASPNETCORE_* variable adds a listener beside this one.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(this);
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = _settings.Limits.MaxConnections;
            kestrel.Listen(_settings.Listen, listen =>
            {
                _listen = listen;
                listen.UseConnectionHandler<NtsKeConnectionHandler>();
            });
        });
        builder.Services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>>(new SharedArrayMemoryPoolFactory()));
        WebApplication app = builder.Build();
        _rejections = ListenForRejections(app.Services.GetRequiredService<IMeterFactory>());
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            _rejections.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
        LogStarted(_logger, LocalEndPoint, _settings.CertificatePath, _certificate.NotAfter);
        _expiryTimer = TimeProvider.System.CreateTimer(_ => WarnIfExpiring(), null, TimeSpan.Zero, TimeSpan.FromHours(12));
        _memoryTimer = TimeProvider.System.CreateTimer(_ => MemoryRelease.Check(), null, NtsKeMemoryRelease.Interval, NtsKeMemoryRelease.Interval);
    }

    /// <summary>
    /// Reads the certificate and key files again and puts the pair in service; throws as <see cref="StartAsync"/>
    /// does when the new pair is unusable, and the one in service stays.
    /// </summary>
    public NtsKeCertificate ReloadCertificate()
    {
        var fresh = NtsKeCertificate.Load(_settings.CertificatePath, _settings.PrivateKeyPath, DateTimeOffset.UtcNow);
        // The old context is not disposed here: a connection may be about to use it; its SafeHandle frees it once unreferenced.
        Volatile.Write(ref _certificate, fresh);
        _counters.CertificateReloaded();
        WarnIfExpiring();
        return fresh;
    }

    private void WarnIfExpiring()
    {
        NtsKeCertificate certificate = Certificate;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (certificate.ExpiresSoon(now)) LogExpiresSoon(_logger, certificate.Path, certificate.NotAfter, (certificate.NotAfter - now).TotalDays);
    }

    /// <summary>Stops accepting, lets open connections finish or give up (Kestrel drains them), then frees everything.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _expiryTimer?.Dispose();
        _memoryTimer?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }

        _rejections?.Dispose();
        (_codecs as IDisposable)?.Dispose();
        _certificate?.Context.Dispose();
        _stop.Dispose();
    }

    /// <summary>Kestrel reports connections refused over MaxConcurrentConnections only as a metric; this server's own is counted.</summary>
    private MeterListener ListenForRejections(IMeterFactory meters)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "kestrel.rejected_connections" && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            for (long i = 0; i < value; i++)
            {
                _counters.RefusedBusy();
                MemoryRelease.Connected();
            }
        });
        listener.Start();
        return listener;
    }

    /// <summary>AEAD algorithms this server negotiates, in the order RFC 8915 implementations commonly prefer.</summary>
    private static AeadAlgorithm[] BuildSupported()
    {
        // AES-SIV-CMAC-256 is mandatory to implement (RFC 8915 section 5.1); GCM-SIV is the fast choice when offered.
        AeadAlgorithm[] preferred = [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512];
        return Array.FindAll(preferred, a => Aead.IsSupported((ushort)a));
    }

    /// <summary>
    /// Kestrel's own block pool keeps every block it ever handed out and gives back only a few per 10 s (1 % while any
    /// connection comes): a flood of half-open handshakes, each holding a block, left megabytes pinned for minutes. The
    /// shared array pool keeps a few per size and core and lets the rest be collected.
    /// </summary>
    private sealed class SharedArrayMemoryPoolFactory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => MemoryPool<byte>.Shared;
    }

    /// <summary>Cookie codecs for the pool: each with its own random source; they follow key rotations themselves.</summary>
    private sealed class CookieCodecPolicy(CookieKeyStore keys) : PooledObjectPolicy<NtsCookieCodec>
    {
        public override NtsCookieCodec Create() => new(keys, new RandomPool());

        public override bool Return(NtsCookieCodec obj) => true;
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "NTS-KE listening on {Endpoint} with certificate {Certificate}, valid until {NotAfter:yyyy-MM-dd HH:mm}Z")]
    private static partial void LogStarted(ILogger logger, IPEndPoint endpoint, string certificate, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "NTS-KE certificate {Certificate} expires {NotAfter:yyyy-MM-dd HH:mm}Z, in {Days:0.0} days: renew it and send SIGHUP")]
    private static partial void LogExpiresSoon(ILogger logger, string certificate, DateTimeOffset notAfter, double days);
}
