using FastNtp.Interop.Time;
using FastNtp.Interop.Timestamping;

namespace FastNtp.Interop.Tests.Sockets;

/// <summary>SO_TIMESTAMPING transmit stamps read from the error queue, over loopback only.</summary>
public class TransmitTimestampTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public void EachDatagramSent_QueuesOneStampKeyedInSendOrder()
    {
        using var receiver = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        using UdpBatchSocket sender = Sender();
        using PacketBatch send = Datagrams(5, receiver.LocalEndPoint);

        long before = SystemRealtime.UnixNanoseconds();
        Assert.Equal(5, sender.SendAll(send, 5, out _, out _));
        long after = SystemRealtime.UnixNanoseconds();

        (uint Key, long Stamp)[] stamps = ReadStamps(sender, 5);
        Assert.Equal<uint>([0, 1, 2, 3, 4], stamps.Select(s => s.Key));
        Assert.All(stamps, s => Assert.InRange(s.Stamp, before, after));
        using var empty = new PacketBatch(4, 1);
        Assert.Equal(-1, sender.ReceiveErrors(empty, 4, out Errno error));
        Assert.Equal(Errno.EAGAIN, error);
    }

    [Fact]
    public void DatagramTheKernelRefuses_TakesNoKeyAndSendAllMarksIt()
    {
        using var receiver = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        using UdpBatchSocket sender = Sender();
        using PacketBatch send = Datagrams(4, receiver.LocalEndPoint);
        // An IPv6 destination on an IPv4 socket: sendmmsg stops there with an error, SendAll skips it.
        send.SetRemoteEndPoint(1, new IPEndPoint(IPAddress.IPv6Loopback, receiver.LocalEndPoint.Port));
        bool[] sent = new bool[4];

        Assert.Equal(3, sender.SendAll(send, 4, out int failed, out _, sent));

        Assert.Equal(1, failed);
        Assert.Equal<bool>([true, false, true, true], sent);
        Assert.Equal<uint>([0, 1, 2], ReadStamps(sender, 3).Select(s => s.Key));
    }

    [Fact]
    public void RestartTransmitKeys_StartsTheCountAgainAtZero()
    {
        using var receiver = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        using UdpBatchSocket sender = Sender();
        using PacketBatch send = Datagrams(3, receiver.LocalEndPoint);
        Assert.Equal(3, sender.SendAll(send, 3, out _, out _));
        Assert.Equal<uint>([0, 1, 2], ReadStamps(sender, 3).Select(s => s.Key));

        sender.RestartTransmitKeys();
        Assert.Equal(2, sender.SendAll(send, 2, out _, out _));

        Assert.Equal<uint>([0, 1], ReadStamps(sender, 2).Select(s => s.Key));
    }

    [Fact]
    public void ReceiveTimestamps_ComeThroughTimestampingAndTransmitStampsStayOffUntilAskedFor()
    {
        using var receiver = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        Assert.Equal(TimestampingFlags.RxSoftware | TimestampingFlags.Software, receiver.Timestamping);
        using PacketBatch reply = Datagrams(1, receiver.LocalEndPoint);
        Assert.Equal(1, receiver.SendAll(reply, 1, out _, out _));

        using var errors = new PacketBatch(1, 1);
        Assert.Equal(-1, receiver.ReceiveErrors(errors, 1, out Errno error));
        Assert.Equal(Errno.EAGAIN, error);
        Assert.Throws<InvalidOperationException>(receiver.RestartTransmitKeys);
    }

    private static UdpBatchSocket Sender()
    {
        var sender = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sender.EnableTransmitTimestamps();
        return sender;
    }

    private static PacketBatch Datagrams(int count, IPEndPoint to)
    {
        var batch = new PacketBatch(count);
        for (int i = 0; i < count; i++)
        {
            batch.SetLength(i, 48);
            batch.SetRemoteEndPoint(i, to);
        }

        return batch;
    }

    /// <summary>Reads the error queue until <paramref name="expected"/> stamps came (bounded in time).</summary>
    private static (uint Key, long Stamp)[] ReadStamps(UdpBatchSocket socket, int expected)
    {
        var stamps = new List<(uint, long)>();
        using var batch = new PacketBatch(16, 1);
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (stamps.Count < expected && DateTime.UtcNow < deadline)
        {
            int n = socket.ReceiveErrors(batch, 16, out _);
            if (n <= 0)
            {
                Thread.Sleep(1);
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                Assert.True(batch.TryGetTimestampKey(i, out uint key));
                Assert.True(batch.TryGetKernelTimestamp(i, out long stamp));
                stamps.Add((key, stamp));
            }
        }

        return [.. stamps];
    }
}
