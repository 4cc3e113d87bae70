using System.Buffers.Binary;
using System.Globalization;

namespace FastNtp.Interop.Tests.Sockets;

public class RawPacketSocketTests
{
    [Fact]
    public void PacketLayoutsAndConstants_MatchTheCCompiler()
    {
        string gcc = ExternalProcess.RequireProgram("gcc", "gcc");
        string dir = Directory.CreateTempSubdirectory("fastntp-packet-abi-").FullName;
        try
        {
            string[] facts =
            [
                "sizeof(struct sockaddr_ll)", "offsetof(struct sockaddr_ll, sll_protocol)", "offsetof(struct sockaddr_ll, sll_ifindex)",
                "offsetof(struct sockaddr_ll, sll_hatype)", "offsetof(struct sockaddr_ll, sll_pkttype)", "offsetof(struct sockaddr_ll, sll_halen)",
                "offsetof(struct sockaddr_ll, sll_addr)", "sizeof(struct tpacket_auxdata)", "offsetof(struct tpacket_auxdata, tp_len)",
                "offsetof(struct tpacket_auxdata, tp_snaplen)", "offsetof(struct tpacket_auxdata, tp_mac)", "offsetof(struct tpacket_auxdata, tp_net)",
                "offsetof(struct tpacket_auxdata, tp_vlan_tci)", "offsetof(struct tpacket_auxdata, tp_vlan_tpid)",
                "AF_PACKET", "SOCK_RAW", "SOCK_NONBLOCK", "SOL_PACKET", "ETH_P_ALL", "PACKET_AUXDATA", "PACKET_QDISC_BYPASS", "PACKET_IGNORE_OUTGOING",
                "TP_STATUS_CSUMNOTREADY",
            ];
            string source = Path.Combine(dir, "probe.c");
            File.WriteAllText(source,
                "#include <stdio.h>\n#include <stddef.h>\n#include <sys/socket.h>\n#include <linux/if_packet.h>\n#include <linux/if_ether.h>\nint main(void) {\n" +
                string.Concat(facts.Select(f => $"  printf(\"%s=%ld\\n\", \"{f}\", (long)({f}));\n")) + "  return 0;\n}\n");
            string binary = Path.Combine(dir, "probe");
            ExternalProcess.RunChecked(gcc, ["-O0", "-o", binary, source], TimeSpan.FromSeconds(60));
            Dictionary<string, long> c = ExternalProcess.RunChecked(binary, [], TimeSpan.FromSeconds(60))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(l => l[..l.LastIndexOf('=')], l => long.Parse(l[(l.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture));

            Assert.Equal(c["sizeof(struct sockaddr_ll)"], Unsafe.SizeOf<SockAddrLl>());
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_protocol)"], Offset<SockAddrLl>(nameof(SockAddrLl.Protocol)));
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_ifindex)"], Offset<SockAddrLl>(nameof(SockAddrLl.InterfaceIndex)));
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_hatype)"], Offset<SockAddrLl>(nameof(SockAddrLl.HardwareType)));
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_pkttype)"], Offset<SockAddrLl>(nameof(SockAddrLl.PacketType)));
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_halen)"], Offset<SockAddrLl>(nameof(SockAddrLl.AddressLength)));
            Assert.Equal(c["offsetof(struct sockaddr_ll, sll_addr)"], Offset<SockAddrLl>(nameof(SockAddrLl.Address)));
            Assert.Equal(c["sizeof(struct tpacket_auxdata)"], Unsafe.SizeOf<TPacketAuxData>());
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_len)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.Length)));
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_snaplen)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.SnapLength)));
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_mac)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.MacOffset)));
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_net)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.NetworkOffset)));
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_vlan_tci)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.VlanTci)));
            Assert.Equal(c["offsetof(struct tpacket_auxdata, tp_vlan_tpid)"], Offset<TPacketAuxData>(nameof(TPacketAuxData.VlanTpid)));
            Assert.Equal(PacketConstants.AF_PACKET, c["AF_PACKET"]);
            Assert.Equal(PacketConstants.SOCK_RAW, c["SOCK_RAW"]);
            Assert.Equal(PacketConstants.SOCK_NONBLOCK, c["SOCK_NONBLOCK"]);
            Assert.Equal(PacketConstants.SOL_PACKET, c["SOL_PACKET"]);
            Assert.Equal(PacketConstants.ETH_P_ALL, c["ETH_P_ALL"]);
            Assert.Equal(PacketConstants.PACKET_AUXDATA, c["PACKET_AUXDATA"]);
            Assert.Equal(PacketConstants.PACKET_QDISC_BYPASS, c["PACKET_QDISC_BYPASS"]);
            Assert.Equal(PacketConstants.PACKET_IGNORE_OUTGOING, c["PACKET_IGNORE_OUTGOING"]);
            Assert.Equal(PacketConstants.TP_STATUS_CSUMNOTREADY, c["TP_STATUS_CSUMNOTREADY"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FramesSentOnLoopback_ComeBackToTheSocket()
    {
        // Loopback hands every frame it transmits back as received; the socket ignores only its own outgoing copy.
        // The frames carry the IEEE local experimental EtherType 0x88B5, so no protocol stack acts on them.
        using var socket = RawPacketSocket.Open("lo", 1 << 20);
        Assert.True(socket.InterfaceIndex > 0);
        using var send = new PacketBatch(4, 64);
        using var receive = new PacketBatch(16, 2048);
        int marker = Random.Shared.Next();
        for (int i = 0; i < send.Capacity; i++)
        {
            Span<byte> frame = send.GetBuffer(i);
            frame[..12].Clear();
            BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x88B5);
            BinaryPrimitives.WriteInt32BigEndian(frame[14..], marker);
            frame[18] = (byte)i;
            frame[19..60].Clear();
            send.SetLength(i, 60);
        }

        Assert.Equal(4, socket.Send(send, 4, out int failed, out Errno error));
        Assert.Equal(0, failed);
        Assert.Equal(Errno.None, error);

        var seen = new HashSet<byte>();
        Assert.True(Poll.Until(() =>
        {
            int n = socket.Receive(receive, receive.Capacity, out _);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<byte> frame = receive.GetReceived(i);
                if (frame.Length == 60 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x88B5 &&
                    BinaryPrimitives.ReadInt32BigEndian(frame[14..]) == marker)
                {
                    Assert.False(RawPacketSocket.IsChecksumPending(receive, i));
                    seen.Add(frame[18]);
                }
            }

            return seen.Count == 4;
        }, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void UnknownInterface_IsASetUpError()
    {
        NativeSocketException e = Assert.Throws<NativeSocketException>(() => RawPacketSocket.Open("nosuchif0", 0));
        Assert.Contains("nosuchif0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingQueued_IsZeroNotAnError()
    {
        using var socket = RawPacketSocket.Open("lo", 0);
        using var receive = new PacketBatch(4, 2048);
        // Drain whatever loopback traffic is around, then an empty queue reads as 0 without waiting.
        for (int i = 0; i < 100 && socket.Receive(receive, receive.Capacity, out _) > 0; i++)
        {
        }

        int n = socket.Receive(receive, receive.Capacity, out Errno error);
        Assert.True(n >= 0);
        Assert.True(n > 0 || error is Errno.EAGAIN or Errno.None);
    }

    private static long Offset<T>(string field) where T : struct => Marshal.OffsetOf<T>(field).ToInt64();
}
