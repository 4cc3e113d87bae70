using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastNtp.Crypto;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Nts;

/// <summary>How an NTS-KE server listens, what it hands out and how much a client may cost it.</summary>
public sealed record NtsKeServerSettings
{
    public const string Alpn = "ntske/1";

    public required IPEndPoint Listen { get; init; }
    public required string CertificatePath { get; init; }
    public required string PrivateKeyPath { get; init; }
    /// <summary>NTP server name handed to clients when NTP is served from another host; null means this host.</summary>
    public string? NtpServer { get; init; }
    /// <summary>NTP port handed to clients; null sends no port record (clients use 123).</summary>
    public int? NtpPort { get; init; }
    public int MaxConnections { get; init; } = 512;
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>From the end of the handshake until the whole request has arrived.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Largest request (all records up to End of Message) accepted.</summary>
    public int MaxRequestLength { get; init; } = 1024;
    public int CookiesPerResponse { get; init; } = 8;
    /// <summary>How often the certificate and key files are checked for changes.</summary>
    public TimeSpan CertificateCheckInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The NTS-KE service (RFC 8915 section 4): TLS 1.3 with ALPN ntske/1 over TCP, through OpenSSL memory BIOs so
/// sockets stay managed. Each connection gets one request, one response with keys and cookies, and is closed.
/// A slow or hostile client holds one connection slot until its timeout, never more. The certificate and key
/// are reloaded when their files change; a broken new pair keeps the old one in service.
/// </summary>
public sealed partial class NtsKeServer : IAsyncDisposable
{
    private const int IoBufferLength = 16384;
    private static readonly ushort[] ServerAlgorithms = BuildSupported();

    private readonly NtsKeServerSettings _settings;
    private readonly ILogger _logger;
    private readonly NtsCookieCodec _cookies;
    private readonly Lock _cookieLock = new();
    private readonly byte[] _ntpServerAscii;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private ITimer? _reloadTimer;
    private TlsContext? _context;
    private DateTime _certificateStamp;
    private DateTime _keyStamp;
    private int _active;

    public NtsKeServer(NtsKeServerSettings settings, CookieKeyStore keys, ILogger<NtsKeServer>? logger = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentNullException.ThrowIfNull(keys);
        if (settings.NtpPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(settings), "Nts.NtpPort is 1 to 65535.");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxRequestLength, 64);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.CookiesPerResponse);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.CookiesPerResponse, 8);
        _logger = logger ?? NullLogger<NtsKeServer>.Instance;
        _cookies = new NtsCookieCodec(keys, new RandomPool());
        _ntpServerAscii = settings.NtpServer is null ? [] : Encoding.ASCII.GetBytes(settings.NtpServer);
    }

    /// <summary>Where the listener is bound (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("Not started."));

    public int ActiveConnections => Volatile.Read(ref _active);
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public long TimedOut => Interlocked.Read(ref _timedOut);
    public long RefusedBusy => Interlocked.Read(ref _refusedBusy);
    public long CertificateReloads => Interlocked.Read(ref _reloads);

    private long _completed, _failed, _timedOut, _refusedBusy, _reloads;

    /// <summary>AEAD algorithms this server negotiates, in the order RFC 8915 implementations commonly prefer.</summary>
    public static IReadOnlyList<ushort> SupportedAlgorithms => ServerAlgorithms;

    /// <summary>Loads the certificate (throwing <see cref="OpenSslException"/> when unusable), binds and starts accepting.</summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("Already started.");
        _certificateStamp = File.GetLastWriteTimeUtc(_settings.CertificatePath);
        _keyStamp = File.GetLastWriteTimeUtc(_settings.PrivateKeyPath);
        _context = TlsContext.CreateServer(_settings.CertificatePath, _settings.PrivateKeyPath, NtsKeServerSettings.Alpn);

        var listener = new Socket(_settings.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_settings.Listen.AddressFamily == AddressFamily.InterNetworkV6) listener.DualMode = _settings.Listen.Address.Equals(IPAddress.IPv6Any);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_settings.Listen);
            listener.Listen(Math.Min(_settings.MaxConnections, 1024));
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _reloadTimer = TimeProvider.System.CreateTimer(_ => ReloadCertificateIfChanged(), null, _settings.CertificateCheckInterval, _settings.CertificateCheckInterval);
        _acceptLoop = Task.Run(AcceptLoopAsync);
        LogStarted(_logger, LocalEndPoint, _settings.CertificatePath);
    }

    /// <summary>Rebuilds the TLS context when the certificate or key file changed; returns true when it swapped.</summary>
    public bool ReloadCertificateIfChanged()
    {
        try
        {
            DateTime certificate = File.GetLastWriteTimeUtc(_settings.CertificatePath);
            DateTime key = File.GetLastWriteTimeUtc(_settings.PrivateKeyPath);
            if (certificate == _certificateStamp && key == _keyStamp) return false;
            _certificateStamp = certificate;
            _keyStamp = key;
            var fresh = TlsContext.CreateServer(_settings.CertificatePath, _settings.PrivateKeyPath, NtsKeServerSettings.Alpn);
            // The old context is not disposed here: a connection may be about to use it; its SafeHandle frees it once unreferenced.
            Volatile.Write(ref _context, fresh);
            Interlocked.Increment(ref _reloads);
            LogReloaded(_logger, _settings.CertificatePath);
            return true;
        }
        catch (Exception e) when (e is OpenSslException or IOException or UnauthorizedAccessException)
        {
            LogReloadFailed(_logger, _settings.CertificatePath, e.Message);
            return false;
        }
    }

    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private async Task AcceptLoopAsync()
    {
        Socket listener = _listener!;
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, e.SocketErrorCode);
                // Out of descriptors or memory: pause instead of spinning on the same error.
                try
                {
                    await Task.Delay(AcceptRetryDelay, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            if (Interlocked.Increment(ref _active) > _settings.MaxConnections)
            {
                Interlocked.Decrement(ref _active);
                Interlocked.Increment(ref _refusedBusy);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        byte[] network = ArrayPool<byte>.Shared.Rent(IoBufferLength);
        byte[] application = ArrayPool<byte>.Shared.Rent(_settings.MaxRequestLength + 1);
        CancellationTokenSource? deadline = null;
        try
        {
            // Inside the try: once the server is disposed this throws, and the finally must still free the slot.
            deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            socket.NoDelay = true;
            using TlsConnection tls = Volatile.Read(ref _context)!.Accept();
            deadline.CancelAfter(_settings.HandshakeTimeout);
            if (!await HandshakeAsync(socket, tls, network, deadline.Token).ConfigureAwait(false)) return;

            deadline.CancelAfter(_settings.RequestTimeout);
            int length = await ReadRequestAsync(socket, tls, network, application, deadline.Token).ConfigureAwait(false);
            if (length < 0) return;

            byte[] response = ArrayPool<byte>.Shared.Rent(2048);
            try
            {
                int responseLength = BuildResponse(tls, application.AsSpan(0, length), response);
                if (tls.Write(response.AsSpan(0, responseLength)) != TlsStatus.Ok)
                {
                    Interlocked.Increment(ref _failed);
                    return;
                }
            }
            finally
            {
                Array.Clear(response);
                ArrayPool<byte>.Shared.Return(response);
            }

            tls.Shutdown();
            await FlushAsync(socket, tls, network, deadline.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _completed);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _timedOut);
        }
        catch (Exception e) when (e is SocketException or IOException or OpenSslException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failed);
            LogConnectionFailed(_logger, e.Message);
        }
        catch (Exception e)
        {
            // A bug (e.g. a crypto failure while sealing cookies): this task is never awaited, so an exception
            // left in it would go unobserved and uncounted. Count and log it; the finally still frees the slot.
            Interlocked.Increment(ref _failed);
            LogConnectionFault(_logger, e);
        }
        finally
        {
            deadline?.Dispose();
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }

            socket.Dispose();
            Array.Clear(application);
            ArrayPool<byte>.Shared.Return(application);
            ArrayPool<byte>.Shared.Return(network);
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task<bool> HandshakeAsync(Socket socket, TlsConnection tls, byte[] network, CancellationToken token)
    {
        while (true)
        {
            TlsStatus status = tls.Handshake();
            await FlushAsync(socket, tls, network, token).ConfigureAwait(false);
            if (status == TlsStatus.Ok) break;
            if (status != TlsStatus.WantRead)
            {
                Interlocked.Increment(ref _failed);
                LogHandshakeFailed(_logger, tls.LastError ?? "closed");
                return false;
            }

            int received = await socket.ReceiveAsync(network, SocketFlags.None, token).ConfigureAwait(false);
            if (received == 0)
            {
                Interlocked.Increment(ref _failed);
                return false;
            }

            tls.WriteIncoming(network.AsSpan(0, received));
        }

        // RFC 8915 section 4: the ntske/1 ALPN is mandatory; a client that offered none is refused too.
        if (tls.NegotiatedAlpn != NtsKeServerSettings.Alpn)
        {
            Interlocked.Increment(ref _failed);
            LogHandshakeFailed(_logger, "client did not negotiate ALPN ntske/1");
            return false;
        }

        return true;
    }

    /// <summary>Reads records until End of Message; returns the message length, or -1 after answering an error.</summary>
    private async Task<int> ReadRequestAsync(Socket socket, TlsConnection tls, byte[] network, byte[] application, CancellationToken token)
    {
        int used = 0;
        int limit = _settings.MaxRequestLength;
        while (true)
        {
            TlsStatus status;
            while ((status = tls.Read(application.AsSpan(used, limit + 1 - used), out int read)) == TlsStatus.Ok && read > 0)
            {
                used += read;
                if (NtsKeMessage.Scan(application.AsSpan(0, used), out int length) == NtsKeMessageStatus.Complete)
                {
                    // Anything after End of Message is a protocol violation, as is a request over the limit.
                    if (used != length) return await RefuseAsync(socket, tls, network, NtsKeErrorCode.BadRequest, token).ConfigureAwait(false);
                    return length;
                }

                if (used > limit) return await RefuseAsync(socket, tls, network, NtsKeErrorCode.BadRequest, token).ConfigureAwait(false);
            }

            if (status != TlsStatus.WantRead)
            {
                // A client that closes before End of Message sent an incomplete request.
                Interlocked.Increment(ref _failed);
                return -1;
            }

            await FlushAsync(socket, tls, network, token).ConfigureAwait(false);
            int received = await socket.ReceiveAsync(network, SocketFlags.None, token).ConfigureAwait(false);
            if (received == 0)
            {
                Interlocked.Increment(ref _failed);
                return -1;
            }

            tls.WriteIncoming(network.AsSpan(0, received));
        }
    }

    private async Task<int> RefuseAsync(Socket socket, TlsConnection tls, byte[] network, NtsKeErrorCode code, CancellationToken token)
    {
        byte[] message = new byte[16];
        int length = NtsKeServerMessages.WriteError(message, code);
        tls.Write(message.AsSpan(0, length));
        tls.Shutdown();
        await FlushAsync(socket, tls, network, token).ConfigureAwait(false);
        Interlocked.Increment(ref _failed);
        return -1;
    }

    /// <summary>Decides on a complete request and writes the response (keys exported from this TLS session).</summary>
    internal int BuildResponse(TlsConnection tls, ReadOnlySpan<byte> request, Span<byte> response)
    {
        var decision = NtsKeRequest.Parse(request, ServerAlgorithms);
        switch (decision.Outcome)
        {
            case NtsKeOutcome.Error:
                return NtsKeServerMessages.WriteError(response, decision.Error);
            case NtsKeOutcome.NoCommonProtocol:
            case NtsKeOutcome.NoCommonAlgorithm:
                return NtsKeServerMessages.WriteRefusal(response, decision.Outcome);
        }

        var algorithm = (AeadAlgorithm)decision.Algorithm;
        int keyLength = Aead.KeyLength(algorithm);
        Span<byte> c2s = stackalloc byte[keyLength];
        Span<byte> s2c = stackalloc byte[keyLength];
        Span<byte> context = stackalloc byte[NtsKeMessage.ExporterContextLength];
        NtsKeMessage.WriteExporterContext(context, decision.Algorithm, serverToClient: false);
        bool exported = tls.ExportKeyingMaterial(NtsKeMessage.ExporterLabel, context, c2s);
        NtsKeMessage.WriteExporterContext(context, decision.Algorithm, serverToClient: true);
        exported &= tls.ExportKeyingMaterial(NtsKeMessage.ExporterLabel, context, s2c);
        if (!exported) return NtsKeServerMessages.WriteError(response, NtsKeErrorCode.InternalServerError);

        var writer = new NtsKeRecordWriter(response);
        bool ok = NtsKeServerMessages.TryWriteAcceptHead(ref writer, decision.Algorithm, _ntpServerAscii, _settings.NtpPort ?? -1);
        Span<byte> cookie = stackalloc byte[NtsCookieCodec.MaxCookieLength];
        for (int i = 0; ok && i < _settings.CookiesPerResponse; i++)
        {
            int cookieLength;
            lock (_cookieLock) cookieLength = _cookies.Seal(algorithm, c2s, s2c, cookie);
            ok = writer.TryWrite(NtsKeRecordType.NewCookie, critical: false, cookie[..cookieLength]);
        }

        c2s.Clear();
        s2c.Clear();
        ok = ok && writer.TryWriteEndOfMessage();
        return ok ? writer.Written : NtsKeServerMessages.WriteError(response, NtsKeErrorCode.InternalServerError);
    }

    private static async Task FlushAsync(Socket socket, TlsConnection tls, byte[] network, CancellationToken token)
    {
        int pending;
        while ((pending = tls.ReadOutgoing(network)) > 0)
        {
            int sent = 0;
            while (sent < pending) sent += await socket.SendAsync(network.AsMemory(sent, pending - sent), SocketFlags.None, token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _reloadTimer?.Dispose();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        // Give in-flight connections their cancellation, then wait briefly for their slots to drain.
        for (int i = 0; i < 100 && Volatile.Read(ref _active) > 0; i++) await Task.Delay(10).ConfigureAwait(false);
        lock (_cookieLock) _cookies.Dispose();
        _context?.Dispose();
        _stop.Dispose();
    }

    private static ushort[] BuildSupported()
    {
        // AES-SIV-CMAC-256 is mandatory to implement (RFC 8915 section 5.1); GCM-SIV is the fast choice when offered.
        ushort[] preferred = [(ushort)AeadAlgorithm.AesSivCmac256, (ushort)AeadAlgorithm.Aes128GcmSiv,
            (ushort)AeadAlgorithm.AesSivCmac384, (ushort)AeadAlgorithm.AesSivCmac512];
        return Array.FindAll(preferred, Aead.IsSupported);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "NTS-KE listening on {Endpoint} with certificate {Certificate}")]
    private static partial void LogStarted(ILogger logger, IPEndPoint endpoint, string certificate);

    [LoggerMessage(Level = LogLevel.Information, Message = "NTS-KE certificate reloaded from {Certificate}")]
    private static partial void LogReloaded(ILogger logger, string certificate);

    [LoggerMessage(Level = LogLevel.Error, Message = "NTS-KE certificate reload from {Certificate} failed, keeping the current one: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string certificate, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "NTS-KE accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "NTS-KE handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "NTS-KE connection failed: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "NTS-KE connection failed unexpectedly")]
    private static partial void LogConnectionFault(ILogger logger, Exception exception);
}
