using System.Net;
using System.Net.Sockets;
using FastNtp.Crypto;
using FastNtp.Protocol.Client;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Hosting;

namespace FastNtp.Server.Nts;

/// <summary>One authenticated NTS exchange with an NTP server.</summary>
/// <param name="Sample">The reply checked as any NTP reply is (<see cref="ClientExchange.ReadReply"/>): offset, delay, stratum ...</param>
/// <param name="CookiesLeft">Cookies in hand after the reply's fresh ones were kept.</param>
public sealed record NtsQueryResult(IPEndPoint Server, AeadAlgorithm Algorithm, ClientSample Sample, int CookiesLeft);

public enum NtsQueryFailure : byte
{
    Network,
    Timeout,
    /// <summary>The server sent an NTS NAK: its cookies are no longer accepted, run NTS-KE again.</summary>
    Nak,
    /// <summary>A reply to our request failed authentication.</summary>
    Unauthenticated,
    /// <summary>No cookie is left to send.</summary>
    NoCookies,
}

public sealed class NtsQueryException : Exception
{
    public NtsQueryException()
    {
    }

    public NtsQueryException(string message)
        : base(message)
    {
    }

    public NtsQueryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NtsQueryException(NtsQueryFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public NtsQueryFailure Failure { get; }
}

/// <summary>
/// NTS-protected NTP client for `fastntp query --nts`: each query is one exchange of an <see cref="NtsClientSession"/>
/// (which keeps the cookies) over a UDP socket. Not thread-safe: one query at a time.
/// </summary>
public sealed class NtsNtpClient : IDisposable
{
    private readonly NtsClientSession _session;

    public NtsNtpClient(NtsKeResult session)
    {
        Session = session ?? throw new ArgumentNullException(nameof(session));
        _session = new NtsClientSession(session.Agreement);
    }

    public NtsKeResult Session { get; }

    public int CookiesLeft => _session.CookiesLeft;

    /// <summary>One exchange using the next cookie.</summary>
    /// <exception cref="NtsQueryException">Any failure, with a message fit for an operator.</exception>
    public async Task<NtsQueryResult> QueryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!_session.CanSend) throw new NtsQueryException(NtsQueryFailure.NoCookies, "No NTS cookie left; run NTS-KE again.");

        IPEndPoint server = await ResolveAsync(Session.NtpServer, Session.NtpPort, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(5));

        byte[] request = new byte[2048];
        byte[] reply = new byte[2048];
        var clock = new RealtimeClock();

        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(server);
            NtpTimestamp t1 = clock.Now();
            int length = _session.WriteRequest(request, t1);
            await socket.SendAsync(request.AsMemory(0, length), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                int received = await socket.ReceiveAsync(reply, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                NtpTimestamp t4 = clock.Now();
                switch (_session.Verify(reply.AsSpan(0, received)))
                {
                    case NtsReplyStatus.NotOurs:
                        continue;
                    case NtsReplyStatus.Nak:
                        throw new NtsQueryException(NtsQueryFailure.Nak, $"{server} sent an NTS NAK: its cookies are not accepted; run NTS-KE again.");
                    case NtsReplyStatus.Invalid:
                        throw new NtsQueryException(NtsQueryFailure.Unauthenticated, $"{server} sent a reply that failed NTS authentication.");
                }

                // Authentic, so now judged like any reply; the request's transmit timestamp was T1 itself.
                ClientSample sample = ClientExchange.ReadReply(reply.AsSpan(0, received), t1, t1, t4);
                return new NtsQueryResult(server, Session.Algorithm, sample, _session.CookiesLeft);
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NtsQueryException(NtsQueryFailure.Timeout, $"No NTS reply from {server} in time.", e);
        }
        catch (SocketException e)
        {
            throw new NtsQueryException(NtsQueryFailure.Network, $"NTP with {server}: {e.Message}", e);
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken token)
    {
        if (IPAddress.TryParse(host, out IPAddress? address)) return new IPEndPoint(address, port);
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, token).ConfigureAwait(false);
            if (addresses.Length == 0) throw new NtsQueryException(NtsQueryFailure.Network, $"'{host}' has no address.");
            return new IPEndPoint(addresses[0], port);
        }
        catch (SocketException e)
        {
            throw new NtsQueryException(NtsQueryFailure.Network, $"Cannot resolve '{host}': {e.Message}", e);
        }
    }

    public void Dispose() => _session.Dispose();
}
