using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

// Linux LP64 layouts (x86-64 and arm64 agree); FastNtp.Interop.Tests pins each size and offset and checks
// them against the C compiler's view of the kernel headers.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    /// <summary>Bytes received or sent for this message.</summary>
    public uint Length;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CMsgHdr
{
    /// <summary>Header plus data, unpadded (CMSG_LEN).</summary>
    public nuint Length;
    public int Level;
    public int Type;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn
{
    public ushort Family;
    /// <summary>Network byte order.</summary>
    public ushort Port;
    /// <summary>Network byte order.</summary>
    public uint Address;
    public fixed byte Zero[8];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn6
{
    public ushort Family;
    /// <summary>Network byte order.</summary>
    public ushort Port;
    public uint FlowInfo;
    public fixed byte Address[16];
    public uint ScopeId;
}

[StructLayout(LayoutKind.Sequential)]
internal struct InPktInfo
{
    public int InterfaceIndex;
    /// <summary>The local address the packet was routed to; as a send option, the source address to use.</summary>
    public uint SpecificDestination;
    /// <summary>The header's destination address.</summary>
    public uint Address;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct In6PktInfo
{
    public fixed byte Address[16];
    public int InterfaceIndex;
}

[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

/// <summary>struct timeval, the value of SO_RCVTIMEO/SO_SNDTIMEO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeVal
{
    public long Seconds;
    public long Microseconds;
}

/// <summary>struct scm_timestamping (SCM_TIMESTAMPING): software, legacy (always zero) and raw hardware time.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ScmTimestamping
{
    public TimeSpec Software;
    public TimeSpec Legacy;
    public TimeSpec RawHardware;
}

/// <summary>struct scm_ts_pktinfo (SCM_TIMESTAMPING_PKTINFO): the interface whose NIC stamped a received datagram.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ScmTsPktInfo
{
    public uint InterfaceIndex;
    public uint PacketLength;
    public fixed uint Reserved[2];
}

/// <summary>struct sock_extended_err: what an error-queue message is; for a timestamp, ee_data is its OPT_ID key.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockExtendedErr
{
    public uint Errno;
    public byte Origin;
    public byte Type;
    public byte Code;
    public byte Pad;
    public uint Info;
    public uint Data;
}
