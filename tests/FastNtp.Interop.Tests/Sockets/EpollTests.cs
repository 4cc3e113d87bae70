namespace FastNtp.Interop.Tests.Sockets;

/// <summary>epoll and connect bindings: layouts pinned to the kernel ABI, and behaviour on loopback.</summary>
public class EpollTests
{
    [Fact]
    public void EpollEventLayouts_MatchX64AndArm64()
    {
        Assert.Equal(12, Unsafe.SizeOf<EpollEventPacked>());
        Assert.Equal(0, (int)Marshal.OffsetOf<EpollEventPacked>(nameof(EpollEventPacked.Events)));
        Assert.Equal(4, (int)Marshal.OffsetOf<EpollEventPacked>(nameof(EpollEventPacked.Data)));
        Assert.Equal(16, Unsafe.SizeOf<EpollEventAligned>());
        Assert.Equal(0, (int)Marshal.OffsetOf<EpollEventAligned>(nameof(EpollEventAligned.Events)));
        Assert.Equal(8, (int)Marshal.OffsetOf<EpollEventAligned>(nameof(EpollEventAligned.Data)));
        Assert.Equal(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16, Epoll.EventSize);
    }

    /// <summary>Compiles a C program against this machine's headers; needs gcc and fails (does not skip) without it.</summary>
    [Fact]
    public void EpollLayoutAndConstants_MatchTheCCompiler()
    {
        Dictionary<string, long> c = RunProbe();
        bool packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        Assert.Equal(Epoll.EventSize, c["sizeof(struct epoll_event)"]);
        long dataOffset = packed
            ? Marshal.OffsetOf<EpollEventPacked>(nameof(EpollEventPacked.Data))
            : Marshal.OffsetOf<EpollEventAligned>(nameof(EpollEventAligned.Data));
        Assert.Equal(dataOffset, c["offsetof(struct epoll_event, data)"]);
        Assert.Equal(EpollConstants.EPOLL_CLOEXEC, c["EPOLL_CLOEXEC"]);
        Assert.Equal(EpollConstants.EPOLL_CTL_ADD, c["EPOLL_CTL_ADD"]);
        Assert.Equal(EpollConstants.EPOLL_CTL_DEL, c["EPOLL_CTL_DEL"]);
        Assert.Equal(EpollConstants.EPOLLIN, c["EPOLLIN"]);
        Assert.Equal(EpollConstants.EPOLLERR, c["EPOLLERR"]);
    }

    [Fact]
    public void Wait_ReportsOnlyTheSocketsWithInputAndTheirData()
    {
        using UdpBatchSocket quiet = Bound(IPAddress.Loopback);
        using UdpBatchSocket busy = Bound(IPAddress.Loopback);
        using var epoll = new Epoll(8);
        epoll.Add(quiet.Handle, 0xAAAA_0000_0000_0001);
        epoll.Add(busy.Handle, 0xBBBB_0000_0000_0002);

        Assert.Equal(0, epoll.Wait(0));

        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo([1, 2, 3], busy.LocalEndPoint);
        int ready = epoll.Wait(2_000_000_000);
        Assert.Equal(1, ready);
        Assert.Equal(0xBBBB_0000_0000_0002UL, epoll.DataAt(0));
        Assert.Equal(EpollConstants.EPOLLIN, epoll.EventsAt(0) & EpollConstants.EPOLLIN);

        // Level-triggered: still ready until read; after removal it is no longer reported.
        Assert.Equal(1, epoll.Wait(0));
        epoll.Remove(busy.Handle);
        Assert.Equal(0, epoll.Wait(0));
    }

    [Fact]
    public void WaitWithATimeout_ReturnsZeroWhenNothingArrives()
    {
        using UdpBatchSocket socket = Bound(IPAddress.Loopback);
        using var epoll = new Epoll(1);
        epoll.Add(socket.Handle, 7);
        Assert.Equal(0, epoll.Wait(1_000_000)); // 1 ms
    }

    [Fact]
    public void AddingASocketTwice_ThrowsWithTheErrno()
    {
        using UdpBatchSocket socket = Bound(IPAddress.Loopback);
        using var epoll = new Epoll(1);
        epoll.Add(socket.Handle, 1);
        NativeSocketException e = Assert.Throws<NativeSocketException>(() => epoll.Add(socket.Handle, 2));
        Assert.Equal("epoll_ctl(EPOLL_CTL_ADD)", e.Call);
        Assert.Equal(17, (int)e.Errno); // EEXIST
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void ConnectedSocket_SendsWithoutDestinationsAndHearsOnlyItsPeer(string address)
    {
        var ip = IPAddress.Parse(address);
        using var server = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        server.Bind(new IPEndPoint(ip, 0));
        using var stranger = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(ip, 0));
        using UdpBatchSocket client = Bound(ip);
        client.Connect((IPEndPoint)server.LocalEndPoint!);

        using var send = new PacketBatch(2, 64);
        for (int i = 0; i < 2; i++)
        {
            send.GetBuffer(i)[0] = (byte)(40 + i);
            send.SetLength(i, 1);
        }

        Assert.Equal(2, client.SendAll(send, 2, out int failed, out _));
        Assert.Equal(0, failed);
        byte[] buffer = new byte[16];
        EndPoint from = new IPEndPoint(ip, 0);
        Assert.Equal(1, server.ReceiveFrom(buffer, ref from));
        Assert.Equal(40, buffer[0]);
        Assert.Equal(client.LocalEndPoint, from);
        Assert.Equal(1, server.ReceiveFrom(buffer, ref from));
        Assert.Equal(41, buffer[0]);

        // The kernel drops the stranger's datagram; the peer's one arrives.
        stranger.SendTo([9], client.LocalEndPoint);
        server.SendTo([5], client.LocalEndPoint);
        using var epoll = new Epoll(1);
        epoll.Add(client.Handle, 1);
        Assert.Equal(1, epoll.Wait(2_000_000_000));
        using var receive = new PacketBatch(4, 64);
        Assert.Equal(1, client.Receive(receive, 4, ReceiveWait.NoWait, out _));
        Assert.Equal(5, receive.GetReceived(0)[0]);
        Assert.Equal(-1, client.Receive(receive, 4, ReceiveWait.NoWait, out Errno error));
        Assert.Equal(Errno.EAGAIN, error);
    }

    [Fact]
    public void ConnectToAnIpv4TargetFromAnIpv6Socket_UsesTheMappedAddress()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = UdpBatchSocket.Create(AddressFamily.InterNetworkV6);
        client.SetDualStack(true);
        client.Connect((IPEndPoint)server.LocalEndPoint!);
        using var send = new PacketBatch(1, 64);
        send.GetBuffer(0)[0] = 77;
        send.SetLength(0, 1);
        Assert.Equal(1, client.SendAll(send, 1, out _, out _));
        byte[] buffer = new byte[4];
        Assert.Equal(1, server.Receive(buffer));
        Assert.Equal(77, buffer[0]);
    }

    [Fact]
    public void ConnectFailure_ReportsTheCallAndErrno()
    {
        // An IPv6-only socket cannot reach an IPv4 (mapped) address: ENETUNREACH.
        using var v6only = UdpBatchSocket.Create(AddressFamily.InterNetworkV6);
        v6only.SetDualStack(false);
        NativeSocketException e = Assert.Throws<NativeSocketException>(() => v6only.Connect(new IPEndPoint(IPAddress.Loopback, 123)));
        Assert.StartsWith("connect(", e.Call, StringComparison.Ordinal);
        Assert.Equal(Errno.ENETUNREACH, e.Errno);
    }

    private static UdpBatchSocket Bound(IPAddress address)
    {
        var socket = UdpBatchSocket.Create(address.AddressFamily);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static Dictionary<string, long> RunProbe() => CProbe.Run(
        "#include <sys/epoll.h>\n",
        ["sizeof(struct epoll_event)", "offsetof(struct epoll_event, data)", "EPOLL_CLOEXEC", "EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLLIN", "EPOLLERR"]);
}
