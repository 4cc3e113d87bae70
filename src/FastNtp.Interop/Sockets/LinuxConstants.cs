namespace FastNtp.Interop.Sockets;

/// <summary>Linux values shared by x86-64 and arm64 (both use the asm-generic socket numbers).</summary>
internal static class LinuxConstants
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int IPPROTO_UDP = 17;

    public const int SOL_SOCKET = 1;
    public const int SOL_IP = 0;
    public const int SOL_IPV6 = 41;

    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_REUSEPORT = 15;
    public const int SO_RCVTIMEO = 20;
    public const int SO_SNDTIMEO = 21;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    /// <summary>SO_TIMESTAMPING_OLD: on 64-bit targets its three timespecs are already 64-bit.</summary>
    public const int SO_TIMESTAMPING = 37;
    public const int SCM_TIMESTAMPING = SO_TIMESTAMPING;
    /// <summary>struct scm_ts_pktinfo beside a received hardware stamp (SOF_TIMESTAMPING_OPT_PKTINFO).</summary>
    public const int SCM_TIMESTAMPING_PKTINFO = 58;

    public const int IP_PKTINFO = 8;
    public const int IP_RECVERR = 11;
    public const int IPV6_RECVERR = 25;
    public const int IPV6_V6ONLY = 26;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;

    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_ERRQUEUE = 0x2000;
    public const int MSG_WAITFORONE = 0x10000;

    public const int SHUT_RD = 0;

    /// <summary>ee_errno of a timestamp on the error queue.</summary>
    public const int ENOMSG = 42;
    /// <summary>ee_origin of a timestamp on the error queue.</summary>
    public const byte SO_EE_ORIGIN_TIMESTAMPING = 4;
    /// <summary>ee_info of the timestamp taken when the packet left for the device (SCM_TSTAMP_SND).</summary>
    public const uint SCM_TSTAMP_SND = 0;

    public const int CLOCK_REALTIME = 0;

    /// <summary>sizeof(struct cmsghdr), already a multiple of the cmsg alignment (CMSG_DATA offset).</summary>
    public const int CmsgHeaderSize = 16;

    /// <summary>CMSG_ALIGN: control messages are padded to the size of a long.</summary>
    public static int CmsgAlign(int length) => (length + 7) & ~7;

    /// <summary>CMSG_SPACE: buffer room one control message with this much data takes.</summary>
    public static int CmsgSpace(int dataLength) => CmsgHeaderSize + CmsgAlign(dataLength);

    /// <summary>CMSG_LEN: the value of cmsg_len for this much data.</summary>
    public static int CmsgLength(int dataLength) => CmsgHeaderSize + dataLength;
}
