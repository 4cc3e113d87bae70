using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

// Layouts from linux/if_packet.h; FastNtp.Interop.Tests pins them against the C compiler's view.

/// <summary>struct sockaddr_ll: the link-layer address a packet socket binds to.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrLl
{
    public ushort Family;
    /// <summary>EtherType in network byte order (ETH_P_ALL for every frame).</summary>
    public ushort Protocol;
    public int InterfaceIndex;
    public ushort HardwareType;
    public byte PacketType;
    public byte AddressLength;
    public fixed byte Address[8];
}

/// <summary>struct tpacket_auxdata: what PACKET_AUXDATA tells about each received frame.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TPacketAuxData
{
    public uint Status;
    public uint Length;
    public uint SnapLength;
    public ushort MacOffset;
    public ushort NetworkOffset;
    public ushort VlanTci;
    public ushort VlanTpid;
}

/// <summary>Packet-socket values from linux/if_ether.h, linux/if_packet.h and sys/socket.h.</summary>
internal static class PacketConstants
{
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOL_PACKET = 263;
    public const ushort ETH_P_ALL = 0x0003;
    public const int PACKET_AUXDATA = 8;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_IGNORE_OUTGOING = 23;
    /// <summary>The checksum of this frame is left to offload (a veth peer's CHECKSUM_PARTIAL): it is not filled in yet.</summary>
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
}
