using FastNtp.Protocol.Client;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;
using FastNtp.Server.Tests.Configuration;

namespace FastNtp.Server.Tests.Sync;

/// <summary>
/// Three chronyd instances serve their local clock at stratum 2 on loopback (-x: they never touch the clock);
/// the synchronizer follows them with clock.control none and the server must then answer at stratum 3 with
/// reference id 127.0.0.1, to our own client and to chronyd acting as a client.
/// </summary>
public sealed class ChronyInteropTests : IDisposable
{
    private readonly List<ChronydServer> _upstreams = [];

    [Fact]
    public void Synchronizer_FollowsThreeChronydUpstreamsAndServesStratumThree()
    {
        int[] ports = [Ports.FreeUdpPort(), Ports.FreeUdpPort(), Ports.FreeUdpPort()];
        foreach (int port in ports) StartUpstream(port);

        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(-20));
        FastNtpSettings settings = TestSettings.Load(
            [.. ports.Select((p, i) => ($"Sync:Upstream:{i}", $"127.0.0.1:{p}")), ("Sync:MinPoll", "-2"), ("Sync:MaxPoll", "0"), ("Clock:Control", "none")]);
        using var synchronizer = new Synchronizer(settings.Sync, settings.Clock, null, publisher, -20);
        synchronizer.Start();

        // Two agreeing sources suffice to synchronize; wait for the third to answer too.
        Poll.Until(
            () => publisher.Current.IsSynchronized && synchronizer.Sources.Count == 3 && synchronizer.Sources.All(s => s.Reach != 0),
            TimeSpan.FromSeconds(30));

        Assert.True(publisher.Current.IsSynchronized, "not synchronized to three chronyd upstreams within 30 s: "
            + string.Join("; ", synchronizer.Sources.Select(s => $"{s.Address} {s.State} reach {s.ReachOctal}")));
        ServerSnapshot snapshot = publisher.Current;
        Assert.Equal(3, snapshot.Stratum);
        Assert.Equal("127.0.0.1", snapshot.ReferenceId.ToString(snapshot.Stratum));
        Assert.Equal(3, synchronizer.Sources.Count);
        Assert.All(synchronizer.Sources, s => Assert.Equal(2, s.Stratum));
        Assert.Contains(synchronizer.Sources, s => s.State == SourceState.Selected);

        int serverPort = Ports.FreeUdpPort();
        var endpoint = new IPEndPoint(IPAddress.Loopback, serverPort);
        using var engine = new PortableEngine(new EngineSettings([endpoint], 1, publisher, () => new Responder(), false));
        engine.Start();
        try
        {
            ClientSample reply = Query(endpoint);
            Assert.True(reply.IsValid, reply.Error.ToString());
            Assert.Equal(3, reply.Stratum);
            Assert.Equal(LeapIndicator.NoWarning, reply.Leap);
            Assert.Equal("127.0.0.1", reply.ReferenceId.ToString(reply.Stratum));

            // chronyd as a client: -Q measures and prints the offset, and accepts only a synchronized server.
            (_, string output) = Chronyd.Query([$"server 127.0.0.1 port {serverPort} iburst minpoll -2 maxpoll -2"], timeLimitSeconds: 10);
            Assert.Contains("System clock wrong by", output, StringComparison.Ordinal);
        }
        finally
        {
            engine.Stop();
        }
    }

    [Fact]
    public void Synchronizer_FollowsAChronydNtsUpstreamAndKeepsItsCookiesToppedUp()
    {
        using var pki = new TestPki();
        int ntpPort = Ports.FreeUdpPort(), kePort = Ports.FreeTcpPort();
        StartUpstream(ntpPort, $"ntsport {kePort}", $"ntsserverkey {pki.ServerKey}", $"ntsservercert {pki.ServerCert}");

        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(-20));
        FastNtpSettings settings = TestSettings.Load(
            ("Sync:Upstream:0", $"127.0.0.1:{kePort},nts"), ("Sync:MinPoll", "-3"), ("Sync:MaxPoll", "-3"), ("Sync:NtsCa", pki.CaCert));
        using var synchronizer = new Synchronizer(settings.Sync, settings.Clock, null, publisher, -20);
        synchronizer.Start();

        // NTS-KE may race chronyd's start-up; the source retries it with backoff, so allow the whole budget.
        Assert.True(Poll.Until(() => publisher.Current.IsSynchronized, TimeSpan.FromSeconds(30)), "not synchronized to a chronyd NTS upstream within 30 s");
        Assert.Equal(3, publisher.Current.Stratum);
        Assert.Equal("127.0.0.1", publisher.Current.ReferenceId.ToString(3));
        SourceStatus source = Assert.Single(synchronizer.Sources);
        Assert.True(source.Nts);
        Assert.Equal($"127.0.0.1:{ntpPort}", source.Address);

        // Twenty authenticated replies: more than the eight cookies NTS-KE gave, so only refills keep it going.
        Poll.Until(() => synchronizer.NtsState[0].Authenticated >= 20, TimeSpan.FromSeconds(45));
        (UpstreamSpec _, int cookies, int exchanges, int authenticated) = synchronizer.NtsState[0];
        Assert.True(authenticated >= 20, $"only {authenticated} authenticated replies");
        Assert.Equal(1, exchanges);
        Assert.InRange(cookies, NtsSource.TargetCookies - 2, NtsSource.TargetCookies);
        Assert.True(publisher.Current.IsSynchronized);
    }

    public void Dispose()
    {
        foreach (ChronydServer upstream in _upstreams) upstream.Dispose();
    }

    private void StartUpstream(int port, params string[] nts) => _upstreams.Add(Chronyd.StartServer(port, ["local stratum 2", .. nts]));

    private static ClientSample Query(IPEndPoint server)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveTimeout = 2000;
        socket.Connect(server);
        byte[] request = new byte[NtpHeader.Length];
        var transmit = new NtpTimestamp(0x0123_4567_89AB_CDEF);
        ClientExchange.WriteRequest(request, transmit);
        var sent = NtpTimestamp.FromDateTime(DateTime.UtcNow);
        socket.Send(request);
        byte[] reply = new byte[1024];
        int n = socket.Receive(reply);
        return ClientExchange.ReadReply(reply.AsSpan(0, n), transmit, sent, NtpTimestamp.FromDateTime(DateTime.UtcNow));
    }
}
