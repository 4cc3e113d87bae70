using System.IO.Pipelines;
using System.Net.Sockets;
using FastNtp.Crypto;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol;
using FastNtp.Protocol.Nts;

namespace FastNtp.Server.Nts;

/// <summary>What NTS-KE established: everything needed to send NTS-protected NTP requests.</summary>
/// <param name="KeHost">The NTS-KE server asked.</param>
/// <param name="NtpServer">Where to send NTP: the server named in the response, or the NTS-KE host.</param>
/// <param name="NtpPort">The NTP port: the one named in the response, or the caller's default (123).</param>
public sealed record NtsKeResult(string KeHost, int KePort, string NtpServer, int NtpPort, NtsKeAgreement Agreement)
{
    public AeadAlgorithm Algorithm => Agreement.Algorithm;

    public byte[] C2SKey => Agreement.C2SKey;

    public byte[] S2CKey => Agreement.S2CKey;

    public IReadOnlyList<byte[]> Cookies => Agreement.Cookies;
}

public enum NtsKeFailure : byte
{
    /// <summary>DNS, TCP connect or socket I/O failed.</summary>
    Network,
    /// <summary>The TLS handshake failed, certificate verification included.</summary>
    Tls,
    /// <summary>The server did not agree to ALPN ntske/1.</summary>
    Alpn,
    /// <summary>The server answered with an Error record.</summary>
    ServerError,
    /// <summary>The response broke RFC 8915 or offered nothing usable.</summary>
    BadResponse,
    Timeout,
}

/// <summary>An NTS-KE exchange failed; <see cref="Failure"/> says at which step.</summary>
public sealed class NtsKeException : Exception
{
    public NtsKeException()
    {
    }

    public NtsKeException(string message)
        : base(message)
    {
    }

    public NtsKeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NtsKeException(NtsKeFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public NtsKeFailure Failure { get; }
}

/// <summary>The NTS-KE client (RFC 8915 section 4) for `fastntp nts-ke` and the synchronizer.</summary>
public static class NtsKeClient
{
    /// <summary>Algorithms offered, most preferred first.</summary>
    public static readonly IReadOnlyList<AeadAlgorithm> DefaultAlgorithms =
        [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.AesSivCmac384];

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/>, verifies its certificate against
    /// <paramref name="caFile"/> (or the system store), and returns the negotiated keys and cookies.
    /// </summary>
    /// <param name="ntpPort">The NTP port to use when the response names none (RFC 8915: 123).</param>
    /// <exception cref="NtsKeException">Any failure, with a message fit for an operator.</exception>
    public static async Task<NtsKeResult> ExchangeAsync(
        string host, int port = ProtocolConstants.NtsKePort, string? caFile = null, TimeSpan? timeout = null,
        IReadOnlyList<AeadAlgorithm>? algorithms = null, int ntpPort = ProtocolConstants.NtpPort, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        TlsContext context;
        try
        {
            context = TlsContext.CreateClient(caFile, NtsKeMessage.Alpn);
        }
        catch (OpenSslException e)
        {
            throw new NtsKeException(NtsKeFailure.Tls, e.Message, e);
        }

        using (context)
        {
            return await ExchangeAsync(context, host, port, timeout, algorithms, ntpPort, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The same exchange over a client context the caller already holds (made by
    /// <see cref="TlsContext.CreateClient"/> with ALPN <see cref="NtsKeMessage.Alpn"/>), so that repeated
    /// exchanges, e.g. a handshake benchmark, do not build a new SSL_CTX each time. The context is not disposed.
    /// </summary>
    /// <exception cref="NtsKeException">Any failure, with a message fit for an operator.</exception>
    public static async Task<NtsKeResult> ExchangeAsync(
        TlsContext context, string host, int port, TimeSpan? timeout = null,
        IReadOnlyList<AeadAlgorithm>? algorithms = null, int ntpPort = ProtocolConstants.NtpPort, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(host);
        algorithms ??= DefaultAlgorithms;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            socket.NoDelay = true;
            var stream = new NetworkStream(socket, ownsSocket: true);
            socket = null;
            await using (stream.ConfigureAwait(false))
            {
                var transport = new SocketTransport(PipeReader.Create(stream), PipeWriter.Create(stream));
                await using var tls = new TlsDuplexPipe(context.Connect(host), transport);
                return await RunAsync(tls, host, port, algorithms, ntpPort, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NtsKeException(NtsKeFailure.Timeout, $"NTS-KE with {host}:{port} timed out.", e);
        }
        catch (SocketException e)
        {
            throw new NtsKeException(NtsKeFailure.Network, $"NTS-KE with {host}:{port}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new NtsKeException(NtsKeFailure.Network, $"NTS-KE with {host}:{port}: {e.Message}", e);
        }
        catch (OpenSslException e)
        {
            throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: {e.Message}", e);
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private static async Task<NtsKeResult> RunAsync(
        TlsDuplexPipe tls, string host, int port, IReadOnlyList<AeadAlgorithm> algorithms, int ntpPort, CancellationToken token)
    {
        switch (await NtsKeTransport.HandshakeAsync(tls, token).ConfigureAwait(false))
        {
            case NtsKeHandshakeResult.TlsFailed:
                throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: {tls.LastError}");
            case NtsKeHandshakeResult.Closed:
                throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: the server closed the connection during the handshake.");
            case NtsKeHandshakeResult.NoAlpn:
                throw new NtsKeException(NtsKeFailure.Alpn, $"NTS-KE with {host}:{port}: the server did not agree to ALPN {NtsKeMessage.Alpn}.");
        }

        var session = new NtsKeClientSession(algorithms);
        var exporter = new TlsKeyExporter(tls);
        await tls.Output.WriteAsync(session.Request, token).ConfigureAwait(false);
        bool final = await NtsKeTransport.ReadMessageAsync(tls.Input, NtsKeClientSession.MaxResponseLength,
            received => session.Receive(received, exporter) != NtsKeClientOutcome.Pending, token).ConfigureAwait(false);
        if (!final) session.EndOfStream();
        await tls.CloseAsync(token).ConfigureAwait(false);

        string where = $"NTS-KE with {host}:{port}";
        switch (session.Outcome)
        {
            case NtsKeClientOutcome.Agreed:
                NtsKeAgreement agreement = session.Agreement!;
                return new NtsKeResult(host, port, agreement.NtpServer ?? host, agreement.NtpPort ?? ntpPort, agreement);
            case NtsKeClientOutcome.Refused when session.Response!.Error == NtsKeResponseError.ServerError:
                ushort code = session.Response.ServerError;
                throw new NtsKeException(NtsKeFailure.ServerError, $"{where}: the server reported error {code} ({DescribeError(code)}).");
            case NtsKeClientOutcome.Refused:
                throw new NtsKeException(NtsKeFailure.BadResponse, $"{where}: unusable response: {session.Response!.Error}.");
            case NtsKeClientOutcome.TooLong:
                throw new NtsKeException(NtsKeFailure.BadResponse, $"{where}: the response is too long.");
            case NtsKeClientOutcome.KeyExportFailed:
                throw new NtsKeException(NtsKeFailure.Tls, $"{where}: key export failed.");
            default:
                throw new NtsKeException(NtsKeFailure.BadResponse, $"{where}: the connection ended before End of Message.");
        }
    }

    private static string DescribeError(ushort code) => code switch
    {
        (ushort)NtsKeErrorCode.UnrecognizedCriticalRecord => "unrecognized critical record",
        (ushort)NtsKeErrorCode.BadRequest => "bad request",
        (ushort)NtsKeErrorCode.InternalServerError => "internal server error",
        _ => "unknown",
    };

    /// <summary>A connected socket's stream as the byte transport under TLS.</summary>
    private sealed record SocketTransport(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
