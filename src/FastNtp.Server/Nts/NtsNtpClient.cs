using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastNtp.Crypto;
using FastNtp.Protocol.Client;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Hosting;

namespace FastNtp.Server.Nts;

/// <summary>One authenticated NTS exchange with an NTP server.</summary>
/// <param name="Sample">The reply checked as any NTP reply is (<see cref="ClientExchange.ReadReply"/>): offset, delay, stratum ...</param>
/// <param name="Cookies">Fresh cookies from the reply, for the next requests.</param>
public sealed record NtsQueryResult(IPEndPoint Server, AeadAlgorithm Algorithm, ClientSample Sample, IReadOnlyList<byte[]> Cookies);

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
/// NTS-protected NTP client: sends a request with a unique identifier, one cookie and placeholders for more,
/// authenticated with C2S, and accepts only a reply authenticated with S2C. Keeps the cookies it is given.
/// Not thread-safe: one session per poller.
/// </summary>
public sealed class NtsNtpClient : IDisposable
{
    private readonly Queue<byte[]> _cookies;
    private readonly Aead _c2s;
    private readonly Aead _s2c;

    public NtsNtpClient(NtsKeResult session)
    {
        Session = session ?? throw new ArgumentNullException(nameof(session));
        _cookies = new Queue<byte[]>(session.Cookies);
        _c2s = Aead.Create(session.Algorithm, session.C2SKey);
        _s2c = Aead.Create(session.Algorithm, session.S2CKey);
    }

    public NtsKeResult Session { get; }

    public int CookiesLeft => _cookies.Count;

    /// <summary>Keeps this many cookies in hand: each request asks for enough placeholders to refill to it.</summary>
    public int TargetCookies { get; init; } = 8;

    /// <summary>One exchange using the next cookie.</summary>
    /// <exception cref="NtsQueryException">Any failure, with a message fit for an operator.</exception>
    public async Task<NtsQueryResult> QueryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!_cookies.TryDequeue(out byte[]? cookie))
            throw new NtsQueryException(NtsQueryFailure.NoCookies, "No NTS cookie left; run NTS-KE again.");

        IPEndPoint server = await ResolveAsync(Session.NtpServer, Session.NtpPort, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(5));

        byte[] uid = RandomNumberGenerator.GetBytes(NtsClientPacket.UniqueIdentifierLength);
        byte[] nonce = RandomNumberGenerator.GetBytes(_c2s.NonceLength);
        int placeholders = Math.Clamp(TargetCookies - _cookies.Count - 1, 0, 7);
        byte[] request = new byte[2048];
        byte[] reply = new byte[2048];
        var clock = new RealtimeClock();

        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(server);
            NtpTimestamp t1 = clock.Now();
            int length = NtsClientPacket.Write(request, t1, uid, cookie, placeholders, _c2s, nonce);
            await socket.SendAsync(request.AsMemory(0, length), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                int received = await socket.ReceiveAsync(reply, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                NtpTimestamp t4 = clock.Now();
                var cookies = new List<byte[]>();
                NtsReplyStatus status = NtsClientPacket.Verify(reply.AsSpan(0, received), t1, uid, _s2c, cookies);
                switch (status)
                {
                    case NtsReplyStatus.NotOurs:
                        continue;
                    case NtsReplyStatus.Nak:
                        throw new NtsQueryException(NtsQueryFailure.Nak, $"{server} sent an NTS NAK: its cookies are not accepted; run NTS-KE again.");
                    case NtsReplyStatus.Invalid:
                        throw new NtsQueryException(NtsQueryFailure.Unauthenticated, $"{server} sent a reply that failed NTS authentication.");
                }

                foreach (byte[] fresh in cookies) _cookies.Enqueue(fresh);
                // Authentic, so now judged like any reply; the request's transmit timestamp was T1 itself.
                ClientSample sample = ClientExchange.ReadReply(reply.AsSpan(0, received), t1, t1, t4);
                return new NtsQueryResult(server, Session.Algorithm, sample, cookies);
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

    public void Dispose()
    {
        _c2s.Dispose();
        _s2c.Dispose();
    }
}
