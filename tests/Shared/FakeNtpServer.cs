using FastNtp.Protocol.Ntp;

namespace FastNtp.Tests.Shared;

/// <summary>
/// A loopback NTP server that answers each request with the packets the test crafts from it: honest replies, hostile ones,
/// or both in a chosen order. Datagrams that are not NTP headers are not answered.
/// </summary>
/// <remarks>Needs FastNtp.Protocol, so test projects without it leave this file out of their shared sources.</remarks>
public sealed class FakeNtpServer : IDisposable
{
    private readonly LoopbackUdpServer _udp;
    private volatile Func<NtpHeader, IEnumerable<byte[]>> _answer;

    /// <summary>Answers each request with one packet.</summary>
    public FakeNtpServer(Func<NtpHeader, byte[]> reply)
        : this(request => [reply(request)])
    {
    }

    /// <summary>Answers each request with the packets <paramref name="answer"/> returns, in order.</summary>
    public FakeNtpServer(Func<NtpHeader, IEnumerable<byte[]>> answer)
    {
        _answer = answer;
        _udp = new LoopbackUdpServer((datagram, _) => NtpHeader.TryRead(datagram, out NtpHeader request) ? _answer(request) : []);
    }

    /// <summary>Replaceable while running, e.g. with <c>_ =&gt; []</c> to make the server fall silent.</summary>
    public Func<NtpHeader, IEnumerable<byte[]>> Answer
    {
        get => _answer;
        set => _answer = value;
    }

    public int Port => _udp.Port;

    /// <summary>Datagrams received so far.</summary>
    public int Requests => _udp.Requests;

    /// <summary>
    /// A well-formed, synchronized reply to <paramref name="request"/> with the current time, for tests to spoil one field of.
    /// A stratum-1 server names its reference clock (GPS); a stratum-2 one its upstream's address (127.0.0.1), as NTP does.
    /// </summary>
    public static NtpHeader GoodReply(NtpHeader request, byte stratum = 1)
    {
        var now = NtpTimestamp.FromDateTime(DateTime.UtcNow);
        return new NtpHeader
        {
            Leap = LeapIndicator.NoWarning,
            Version = request.Version,
            Mode = NtpMode.Server,
            Stratum = stratum,
            Poll = request.Poll,
            Precision = -20,
            RootDelay = 0,
            RootDispersion = NtpDuration.FromMilliseconds(1).ToShortFormat(),
            ReferenceId = stratum == 1 ? ReferenceId.FromAscii("GPS") : new ReferenceId(0x7F000001),
            ReferenceTime = now,
            OriginTime = request.TransmitTime,
            ReceiveTime = now,
            TransmitTime = now,
        };
    }

    public static byte[] Encode(NtpHeader header)
    {
        byte[] bytes = new byte[NtpHeader.Length];
        header.Write(bytes);
        return bytes;
    }

    public void Dispose() => _udp.Dispose();
}
