using FastNtp.Interop.Time;

namespace FastNtp.Interop.Tests.Sockets;

/// <summary>Batch I/O over loopback only.</summary>
public class UdpBatchSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public void ServerSocketOnOneAddress_SkipsPacketInfoItDoesNotNeed()
    {
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        using var client = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var send = new PacketBatch(1);
        using var receive = new PacketBatch(1);
        send.SetLength(0, 48);
        send.SetRemoteEndPoint(0, server.LocalEndPoint);
        Assert.Equal(1, client.SendAll(send, 1, out _, out _));
        Assert.Equal(1, ReceiveExactly(server, receive, 1));
        Assert.True(receive.TryGetKernelTimestamp(0, out _));
        Assert.False(receive.TryGetLocalAddress(0, out _, out _));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void BatchSentByOneSocket_ArrivesWholeAtAnotherWithTimestampsAndLocalAddress(string address)
    {
        var ip = IPAddress.Parse(address);
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(ip, 0), 1 << 20, Timeout);
        // OpenServer asks for packet info on wildcard addresses only; this test checks the feature itself.
        server.EnablePacketInfo();
        using var client = UdpBatchSocket.Create(ip.AddressFamily);
        client.Bind(new IPEndPoint(ip, 0));
        IPEndPoint serverEndPoint = server.LocalEndPoint;
        IPEndPoint clientEndPoint = client.LocalEndPoint;
        Assert.NotEqual(0, serverEndPoint.Port);

        using var send = new PacketBatch(16);
        using var receive = new PacketBatch(16);
        for (int i = 0; i < 16; i++)
        {
            Span<byte> buffer = send.GetBuffer(i);
            buffer[..(10 + i)].Fill((byte)i);
            send.SetLength(i, 10 + i);
            send.SetRemoteEndPoint(i, serverEndPoint);
        }

        long before = SystemRealtime.UnixNanoseconds();
        Assert.Equal(16, client.SendAll(send, 16, out int failed, out _));
        Assert.Equal(0, failed);

        int total = ReceiveExactly(server, receive, 16);
        long after = SystemRealtime.UnixNanoseconds();
        Assert.Equal(16, total);

        for (int i = 0; i < 16; i++)
        {
            ReadOnlySpan<byte> payload = receive.GetReceived(i);
            Assert.Equal(10 + i, payload.Length);
            Assert.Equal(10 + i, receive.GetLength(i));
            Assert.True(payload.IndexOfAnyExcept((byte)i) < 0);
            Assert.False(receive.IsTruncated(i));
            Assert.Equal(clientEndPoint, receive.GetRemoteEndPoint(i));
            Assert.Equal((ushort)clientEndPoint.Port, receive.GetRemotePort(i));
            Assert.True(receive.TryGetKernelTimestamp(i, out long stamp));
            Assert.InRange(stamp, before, after);
            Assert.True(receive.TryGetLocalAddress(i, out IPAddress? local, out int ifIndex));
            Assert.Equal(ip, local);
            Assert.True(ifIndex > 0);
        }
    }

    [Fact]
    public void ReplyPreparedFromARequest_LeavesFromTheAddressTheRequestCameTo()
    {
        // Bound to the wildcard, the socket sees requests to 127.0.0.2; without packet info the kernel would
        // answer from 127.0.0.1, the route's preferred source.
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Any, 0), 0, Timeout);
        int port = server.LocalEndPoint.Port;
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Client.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        client.Send([1, 2, 3], new IPEndPoint(IPAddress.Parse("127.0.0.2"), port));

        using var requests = new PacketBatch(4);
        using var replies = new PacketBatch(4);
        Assert.Equal(1, ReceiveExactly(server, requests, 1));
        replies.GetBuffer(0)[..3].Fill(9);
        replies.PrepareReply(0, requests, 0, 3);
        Assert.Equal(1, server.SendAll(replies, 1, out int failed, out _));
        Assert.Equal(0, failed);

        IPEndPoint? from = null;
        byte[] reply = client.Receive(ref from);
        Assert.Equal([9, 9, 9], reply);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), from);
    }

    [Fact]
    public void DualStackSocket_AnswersIpv4ClientsFromTheIpv4AddressTheyUsed()
    {
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.IPv6Any, 0), 0, Timeout);
        int port = server.LocalEndPoint.Port;
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Client.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        client.Send([7], new IPEndPoint(IPAddress.Parse("127.0.0.3"), port));

        using var requests = new PacketBatch(4);
        using var replies = new PacketBatch(4);
        Assert.Equal(1, ReceiveExactly(server, requests, 1));
        IPEndPoint remote = requests.GetRemoteEndPoint(0);
        Assert.True(remote.Address.IsIPv4MappedToIPv6);
        Assert.True(requests.TryGetLocalAddress(0, out IPAddress? local, out _));
        Assert.Equal(IPAddress.Parse("127.0.0.3").MapToIPv6(), local);

        replies.GetBuffer(0)[0] = 8;
        replies.PrepareReply(0, requests, 0, 1);
        Assert.Equal(1, server.SendAll(replies, 1, out _, out _));
        IPEndPoint? from = null;
        Assert.Equal(new byte[] { 8 }, client.Receive(ref from));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.3"), port), from);
    }

    [Fact]
    public void DatagramLongerThanTheSlot_IsFlaggedTruncated()
    {
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, Timeout);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Send(new byte[2000], server.LocalEndPoint);
        client.Send(new byte[100], server.LocalEndPoint);

        using var batch = new PacketBatch(4, 1024);
        Assert.Equal(2, ReceiveExactly(server, batch, 2));
        Assert.True(batch.IsTruncated(0));
        Assert.Equal(1024, batch.GetReceived(0).Length);
        Assert.False(batch.IsTruncated(1));
        Assert.Equal(100, batch.GetReceived(1).Length);
    }

    [Fact]
    public void ReceiveWithoutWaiting_ReportsEagainWhenNothingIsQueued()
    {
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, Timeout);
        using var batch = new PacketBatch(8);
        Assert.Equal(-1, server.Receive(batch, 8, ReceiveWait.NoWait, out Errno error));
        Assert.Equal(Errno.EAGAIN, error);
    }

    [Fact]
    public void BlockingReceive_TimesOutWithEagain()
    {
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, TimeSpan.FromMilliseconds(50));
        using var batch = new PacketBatch(8);
        Assert.Equal(-1, server.Receive(batch, 8, ReceiveWait.WaitForOne, out Errno error));
        Assert.Equal(Errno.EAGAIN, error);
    }

    [Fact]
    public void ShuttingDownReceive_WakesABlockedReceiver()
    {
        // No receive timeout: only the shutdown can end this wait.
        using var server = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, TimeSpan.Zero);
        using var batch = new PacketBatch(8);
        int result = int.MinValue;
        var receiver = new Thread(() => result = server.Receive(batch, 8, ReceiveWait.WaitForOne, out _));
        receiver.Start();
        Thread.Sleep(50);
        server.ShutdownReceive();
        Assert.True(receiver.Join(TimeSpan.FromSeconds(10)), "the receiver did not wake up");
        // Woken by end-of-file: no data, at most empty entries.
        Assert.InRange(result, 0, 8);
        for (int i = 0; i < result; i++) Assert.Equal(0, batch.GetLength(i));
    }

    [Fact]
    public void SeveralSockets_ShareAPortWithReuseport()
    {
        using var first = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, Timeout);
        using var second = UdpBatchSocket.OpenServer(first.LocalEndPoint, 0, Timeout);
        Assert.Equal(first.LocalEndPoint, second.LocalEndPoint);
    }

    [Fact]
    public void BindingAPortHeldWithoutReuseport_ThrowsWithTheErrno()
    {
        using var holder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var held = (IPEndPoint)holder.Client.LocalEndPoint!;
        NativeSocketException ex = Assert.Throws<NativeSocketException>(() => UdpBatchSocket.OpenServer(held, 0, Timeout));
        Assert.Equal(Errno.EADDRINUSE, ex.Errno);
        Assert.Contains("bind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BufferSizes_AreAppliedAndReported()
    {
        using var socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        int receive = socket.SetReceiveBufferSize(256 * 1024, force: true);
        int send = socket.SetSendBufferSize(256 * 1024, force: false);
        // The kernel doubles the request for its bookkeeping.
        Assert.Equal(512 * 1024, receive);
        Assert.Equal(512 * 1024, send);
        Assert.Equal(receive, socket.ReceiveBufferSize);
    }

    [Fact]
    public void Send_ReportsTheErrnoOfARefusedFirstDatagram()
    {
        using var socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        using var batch = new PacketBatch(2);
        batch.SetLength(0, 1);
        // An IPv6 destination on an IPv4 socket is refused by the kernel.
        batch.SetRemoteEndPoint(0, new IPEndPoint(IPAddress.IPv6Loopback, 9));
        Assert.Equal(-1, socket.Send(batch, 0, 1, out Errno error));
        Assert.NotEqual(Errno.None, error);

        batch.SetLength(1, 1);
        batch.SetRemoteEndPoint(1, new IPEndPoint(IPAddress.Loopback, 9));
        Assert.Equal(1, socket.SendAll(batch, 2, out int failed, out Errno last));
        Assert.Equal(1, failed);
        Assert.Equal(error, last);
    }

    [Fact]
    public void SlotArguments_AreChecked()
    {
        using var batch = new PacketBatch(4, 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetBuffer(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetBuffer(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetLength(0, 101));
        Assert.Equal(100, batch.GetBuffer(3).Length);
    }

    /// <summary>Receives until <paramref name="expected"/> datagrams are in the batch or a receive times out.</summary>
    private static int ReceiveExactly(UdpBatchSocket socket, PacketBatch batch, int expected)
    {
        // Loopback delivers synchronously, so the whole batch is normally there on the first call.
        int n = socket.Receive(batch, expected, ReceiveWait.WaitForOne, out Errno error);
        Assert.True(n >= 0, $"recvmmsg failed: {error}");
        return n;
    }
}
