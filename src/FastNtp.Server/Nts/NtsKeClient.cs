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
public sealed record NtsKeResult(
    string KeHost, int KePort, AeadAlgorithm Algorithm, string NtpServer, int NtpPort, byte[] C2SKey, byte[] S2CKey, IReadOnlyList<byte[]> Cookies);

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
            context = TlsContext.CreateClient(caFile, NtsKeServerSettings.Alpn);
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
    /// <see cref="TlsContext.CreateClient"/> with ALPN <see cref="NtsKeServerSettings.Alpn"/>), so that repeated
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

        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                using TlsConnection tls = context.Connect(host);
                return await RunAsync(socket, tls, host, port, algorithms, ntpPort, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new NtsKeException(NtsKeFailure.Timeout, $"NTS-KE with {host}:{port} timed out.", e);
            }
            catch (SocketException e)
            {
                throw new NtsKeException(NtsKeFailure.Network, $"NTS-KE with {host}:{port}: {e.Message}", e);
            }
            catch (OpenSslException e)
            {
                throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: {e.Message}", e);
            }
        }
    }

    private static async Task<NtsKeResult> RunAsync(
        Socket socket, TlsConnection tls, string host, int port, IReadOnlyList<AeadAlgorithm> algorithms, int ntpPort, CancellationToken token)
    {
        byte[] network = new byte[16384];
        while (true)
        {
            TlsStatus status = tls.Handshake();
            await FlushAsync(socket, tls, network, token).ConfigureAwait(false);
            if (status == TlsStatus.Ok) break;
            if (status != TlsStatus.WantRead)
                throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: {tls.LastError ?? "the server closed the connection"}");
            await ReceiveAsync(socket, tls, network, host, port, token).ConfigureAwait(false);
        }

        if (tls.NegotiatedAlpn != NtsKeServerSettings.Alpn)
            throw new NtsKeException(NtsKeFailure.Alpn, $"NTS-KE with {host}:{port}: the server did not agree to ALPN {NtsKeServerSettings.Alpn}.");

        ushort[] offered = new ushort[algorithms.Count];
        for (int i = 0; i < offered.Length; i++) offered[i] = (ushort)algorithms[i];
        if (tls.Write(NtsKeResponse.BuildRequest(offered)) != TlsStatus.Ok)
            throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: {tls.LastError}");
        await FlushAsync(socket, tls, network, token).ConfigureAwait(false);

        byte[] message = new byte[65536];
        int used = 0;
        int length;
        while (NtsKeMessage.Scan(message.AsSpan(0, used), out length) != NtsKeMessageStatus.Complete)
        {
            TlsStatus status = tls.Read(message.AsSpan(used), out int read);
            if (status == TlsStatus.Ok)
            {
                used += read;
                if (used == message.Length) throw new NtsKeException(NtsKeFailure.BadResponse, $"NTS-KE with {host}:{port}: the response is too long.");
                continue;
            }

            if (status != TlsStatus.WantRead)
                throw new NtsKeException(NtsKeFailure.BadResponse, $"NTS-KE with {host}:{port}: the connection ended before End of Message.");
            await ReceiveAsync(socket, tls, network, host, port, token).ConfigureAwait(false);
        }

        var response = NtsKeResponse.Parse(message.AsSpan(0, length), offered);
        if (response.Error != NtsKeResponseError.None)
        {
            NtsKeFailure failure = response.Error == NtsKeResponseError.ServerError ? NtsKeFailure.ServerError : NtsKeFailure.BadResponse;
            string detail = response.Error == NtsKeResponseError.ServerError
                ? $"the server reported error {response.ServerError} ({DescribeError(response.ServerError)})"
                : $"unusable response: {response.Error}";
            throw new NtsKeException(failure, $"NTS-KE with {host}:{port}: {detail}.");
        }

        var algorithm = (AeadAlgorithm)response.Algorithm;
        int keyLength = Aead.KeyLength(algorithm);
        byte[] c2s = new byte[keyLength], s2c = new byte[keyLength];
        byte[] context = new byte[NtsKeMessage.ExporterContextLength];
        NtsKeMessage.WriteExporterContext(context, response.Algorithm, serverToClient: false);
        bool exported = tls.ExportKeyingMaterial(NtsKeMessage.ExporterLabel, context, c2s);
        NtsKeMessage.WriteExporterContext(context, response.Algorithm, serverToClient: true);
        exported &= tls.ExportKeyingMaterial(NtsKeMessage.ExporterLabel, context, s2c);
        if (!exported) throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: key export failed.");

        tls.Shutdown();
        await FlushAsync(socket, tls, network, token).ConfigureAwait(false);
        return new NtsKeResult(host, port, algorithm, response.NtpServer ?? host, response.NtpPort ?? ntpPort, c2s, s2c, response.Cookies);
    }

    private static string DescribeError(ushort code) => code switch
    {
        (ushort)NtsKeErrorCode.UnrecognizedCriticalRecord => "unrecognized critical record",
        (ushort)NtsKeErrorCode.BadRequest => "bad request",
        (ushort)NtsKeErrorCode.InternalServerError => "internal server error",
        _ => "unknown",
    };

    private static async Task ReceiveAsync(Socket socket, TlsConnection tls, byte[] network, string host, int port, CancellationToken token)
    {
        int received = await socket.ReceiveAsync(network, SocketFlags.None, token).ConfigureAwait(false);
        if (received == 0) throw new NtsKeException(NtsKeFailure.Tls, $"NTS-KE with {host}:{port}: the server closed the connection ({tls.LastError ?? "during the exchange"}).");
        tls.WriteIncoming(network.AsSpan(0, received));
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
}
