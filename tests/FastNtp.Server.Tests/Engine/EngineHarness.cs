using System.Buffers.Binary;
using FastNtp.Server.Timestamping;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Tests.Engine;

/// <summary>Starts a <see cref="LinuxBatchEngine"/> on loopback ports and speaks NTP to it.</summary>
internal static class EngineHarness
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(2);

    public static ServerSnapshot Snapshot { get; } =
        ServerSnapshot.LocalClock(1, -20, NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds()));

    public static LinuxBatchEngine Start(int workers, bool trackAllocations, params string[] endpoints) =>
        Start(workers, trackAllocations, null, endpoints);

    public static LinuxBatchEngine Start(int workers, bool trackAllocations, PolicySettings? policy, params string[] endpoints) =>
        Start(workers, trackAllocations, policy, null, endpoints);

    public static LinuxBatchEngine Start(
        int workers, bool trackAllocations, PolicySettings? policy, HardwareClocks? hardware, params string[] endpoints)
    {
        IPEndPoint[] parsed = Array.ConvertAll(endpoints, IPEndPoint.Parse);
        var settings = new EngineSettings(parsed, workers, new SnapshotPublisher(Snapshot), () => new Responder(), PinWorkers: false)
        {
            Policy = policy,
            HardwareClocks = hardware,
        };
        var engine = new LinuxBatchEngine(settings, NullLogger.Instance) { TrackAllocations = trackAllocations };
        engine.Start();
        return engine;
    }

    public static byte[] ClientRequest(ulong transmit, byte version = 4)
    {
        byte[] request = new byte[NtpHeader.Length];
        request[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, version, NtpMode.Client);
        request[2] = 6;
        BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(40), transmit);
        return request;
    }

    public static UdpClient NewClient(AddressFamily family)
    {
        var client = new UdpClient(family);
        client.Client.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
        return client;
    }

    /// <summary>Receives one datagram or fails the test after <see cref="ReplyTimeout"/>.</summary>
    public static byte[] Receive(UdpClient client, out IPEndPoint from)
    {
        IPEndPoint? remote = null;
        try
        {
            byte[] data = client.Receive(ref remote);
            from = remote;
            return data;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            throw new Xunit.Sdk.XunitException($"No reply within {ReplyTimeout}.");
        }
    }

    /// <summary>Checks a reply the way a client would and returns its header.</summary>
    public static NtpHeader AssertValidReply(byte[] reply, ulong sentTransmit, long sentUnixNanos, long receivedUnixNanos)
    {
        Assert.Equal(NtpHeader.Length, reply.Length);
        Assert.True(NtpHeader.TryRead(reply, out NtpHeader header));
        Assert.Equal(NtpMode.Server, header.Mode);
        Assert.Equal(4, header.Version);
        Assert.Equal(1, header.Stratum);
        Assert.Equal(ReferenceId.Local, header.ReferenceId);
        Assert.Equal(sentTransmit, header.OriginTime.Value);

        long pivot = sentUnixNanos;
        long rx = header.ReceiveTime.ToUnixNanoseconds(pivot);
        long tx = header.TransmitTime.ToUnixNanoseconds(pivot);
        // NTP fractions have 233 ps steps; allow a nanosecond of rounding on each side.
        Assert.InRange(rx, sentUnixNanos - 1, receivedUnixNanos + 1);
        Assert.InRange(tx, rx, receivedUnixNanos + 1);
        return header;
    }

    /// <summary>Sends <paramref name="count"/> requests one at a time; each reply must be valid and come from <paramref name="server"/>.</summary>
    public static void AssertAnswersEach(UdpClient client, IPEndPoint server, int count, ulong firstTransmit)
    {
        for (int i = 0; i < count; i++)
        {
            ulong transmit = firstTransmit + (ulong)i;
            long before = RealtimeClock.UnixNanoseconds();
            client.Send(ClientRequest(transmit), server);
            byte[] reply = Receive(client, out IPEndPoint from);
            long after = RealtimeClock.UnixNanoseconds();
            Assert.Equal(server, from);
            AssertValidReply(reply, transmit, before, after);
        }
    }

    public static CounterSnapshot Totals(LinuxBatchEngine engine) => new(Metrics.CounterTotals.Sum(engine.Counters));

    internal readonly record struct CounterSnapshot(Metrics.CounterTotals Totals)
    {
        public long Dropped(DropReason reason) => Totals.Dropped.TryGetValue(reason, out long n) ? n : 0;
    }
}
