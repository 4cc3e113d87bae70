using FastNtp.Interop.Timestamping;

namespace FastNtp.Interop.Tests.Timestamping;

/// <summary>
/// Sockets asking for NIC stamps where no NIC takes any (loopback; this machine has no PHC): the kernel accepts the
/// flags, and every packet still carries its software stamp and no hardware one, received and sent alike.
/// </summary>
public class HardwareStampSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public void LoopbackPackets_CarrySoftwareStampsOnly()
    {
        using var receiver = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 1 << 20, Timeout);
        receiver.EnableHardwareTimestamps(transmit: false);
        using var sender = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sender.EnableTransmitTimestamps();
        sender.EnableHardwareTimestamps(transmit: true);
        Assert.Equal(
            TimestampingFlags.RxSoftware | TimestampingFlags.Software | TimestampingFlags.RxHardware | TimestampingFlags.RawHardware
                | TimestampingFlags.OptPacketInfo,
            receiver.Timestamping);
        Assert.True(sender.Timestamping.HasFlag(TimestampingFlags.TxHardware | TimestampingFlags.RawHardware | TimestampingFlags.OptId));

        using var send = new PacketBatch(1);
        send.SetLength(0, 48);
        send.SetRemoteEndPoint(0, receiver.LocalEndPoint);
        Assert.Equal(1, sender.SendAll(send, 1, out _, out _));

        using var received = new PacketBatch(1);
        Assert.Equal(1, receiver.Receive(received, 1, ReceiveWait.WaitForOne, out _));
        Assert.True(received.TryGetKernelTimestamp(0, out _));
        Assert.False(received.TryGetHardwareTimestamp(0, out long phc, out int stampingInterface));
        Assert.Equal((0L, 0), (phc, stampingInterface));

        using var errors = new PacketBatch(1, 1);
        int read = 0;
        for (DateTime deadline = DateTime.UtcNow + Timeout; read <= 0 && DateTime.UtcNow < deadline; Thread.Sleep(1))
            read = sender.ReceiveErrors(errors, 1, out _);
        Assert.Equal(1, read);
        Assert.True(errors.TryGetTimestampKey(0, out uint key));
        Assert.Equal(0u, key);
        Assert.True(errors.TryGetKernelTimestamp(0, out _));
        Assert.False(errors.TryGetHardwareTimestamp(0, out _, out _));
    }

    /// <summary>The control messages a NIC-stamped datagram arrives with, written as the kernel writes them.</summary>
    [Fact]
    public unsafe void NicStampAndItsInterface_AreReadFromTheControlMessages()
    {
        using var batch = new PacketBatch(2);
        MsgHdr* header = &batch.Headers[1].Header;
        byte* control = (byte*)header->Control;
        int stampSpace = LinuxConstants.CmsgSpace(sizeof(ScmTimestamping));
        *(CMsgHdr*)control = new CMsgHdr { Length = (nuint)LinuxConstants.CmsgLength(sizeof(ScmTimestamping)), Level = LinuxConstants.SOL_SOCKET, Type = LinuxConstants.SCM_TIMESTAMPING };
        *(ScmTimestamping*)(control + LinuxConstants.CmsgHeaderSize) = new ScmTimestamping
        {
            Software = new TimeSpec { Seconds = 1_795_000_000, Nanoseconds = 5 },
            RawHardware = new TimeSpec { Seconds = 4_321, Nanoseconds = 999_999_999 },
        };
        byte* info = control + stampSpace;
        *(CMsgHdr*)info = new CMsgHdr { Length = (nuint)LinuxConstants.CmsgLength(sizeof(ScmTsPktInfo)), Level = LinuxConstants.SOL_SOCKET, Type = LinuxConstants.SCM_TIMESTAMPING_PKTINFO };
        *(ScmTsPktInfo*)(info + LinuxConstants.CmsgHeaderSize) = new ScmTsPktInfo { InterfaceIndex = 7, PacketLength = 90 };
        header->ControlLength = (nuint)(stampSpace + LinuxConstants.CmsgSpace(sizeof(ScmTsPktInfo)));

        Assert.True(batch.TryGetHardwareTimestamp(1, out long phc, out int stampingInterface));
        Assert.Equal((4_321_999_999_999L, 7), (phc, stampingInterface));
        Assert.True(batch.TryGetKernelTimestamp(1, out long software));
        Assert.Equal(1_795_000_000_000_000_005L, software);

        // A transmit stamp: the NIC's time alone, no interface named and no software stamp.
        header->ControlLength = (nuint)stampSpace;
        *(ScmTimestamping*)(control + LinuxConstants.CmsgHeaderSize) = new ScmTimestamping { RawHardware = new TimeSpec { Seconds = 10 } };
        Assert.True(batch.TryGetHardwareTimestamp(1, out phc, out stampingInterface));
        Assert.Equal((10_000_000_000L, 0), (phc, stampingInterface));
        Assert.False(batch.TryGetKernelTimestamp(1, out _));
    }
}
