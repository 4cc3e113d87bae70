namespace FastNtp.Interop.Tests.Sockets;

/// <summary>Builds and runs a small C program that prints the kernel ABI facts the interop layer relies on.</summary>
internal static class NativeProbe
{
    private static readonly string[] Facts =
    [
        "sizeof(struct iovec)", "sizeof(struct msghdr)", "sizeof(struct mmsghdr)", "sizeof(struct cmsghdr)",
        "sizeof(struct sockaddr_in)", "sizeof(struct sockaddr_in6)", "sizeof(struct in_pktinfo)",
        "sizeof(struct in6_pktinfo)", "sizeof(struct timespec)", "sizeof(struct timeval)",
        "offsetof(struct iovec, iov_len)", "offsetof(struct msghdr, msg_namelen)", "offsetof(struct msghdr, msg_iov)",
        "offsetof(struct msghdr, msg_iovlen)", "offsetof(struct msghdr, msg_control)",
        "offsetof(struct msghdr, msg_controllen)", "offsetof(struct msghdr, msg_flags)",
        "offsetof(struct mmsghdr, msg_len)", "offsetof(struct cmsghdr, cmsg_level)", "offsetof(struct cmsghdr, cmsg_type)",
        "offsetof(struct sockaddr_in, sin_port)", "offsetof(struct sockaddr_in, sin_addr)",
        "offsetof(struct sockaddr_in6, sin6_port)", "offsetof(struct sockaddr_in6, sin6_flowinfo)",
        "offsetof(struct sockaddr_in6, sin6_addr)", "offsetof(struct sockaddr_in6, sin6_scope_id)",
        "offsetof(struct in_pktinfo, ipi_spec_dst)", "offsetof(struct in_pktinfo, ipi_addr)",
        "offsetof(struct in6_pktinfo, ipi6_ifindex)", "offsetof(struct timespec, tv_nsec)",
        "CMSG_SPACE(sizeof(struct timespec))", "CMSG_SPACE(sizeof(struct in6_pktinfo))", "CMSG_LEN(sizeof(struct in_pktinfo))",
        "AF_INET", "AF_INET6", "SOCK_DGRAM", "SOCK_CLOEXEC", "IPPROTO_UDP", "SOL_SOCKET", "SOL_IP",
        "SOL_IPV6", "SO_REUSEPORT", "SO_SNDBUF", "SO_RCVBUF", "SO_SNDBUFFORCE", "SO_RCVBUFFORCE",
        "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_TIMESTAMPING", "SCM_TIMESTAMPING", "IP_PKTINFO", "IPV6_V6ONLY",
        "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "MSG_TRUNC", "MSG_DONTWAIT", "MSG_WAITFORONE", "SHUT_RD",
        "CLOCK_REALTIME", "sizeof(cpu_set_t)", "EAGAIN", "EINTR", "ENOBUFS", "ECONNREFUSED", "EMSGSIZE", "ENOTCONN",
        "EHOSTUNREACH", "ENETUNREACH", "EADDRINUSE", "EPERM",
        "IP_RECVERR", "IPV6_RECVERR", "MSG_ERRQUEUE", "ENOMSG", "SO_EE_ORIGIN_TIMESTAMPING", "SCM_TSTAMP_SND",
        "sizeof(struct scm_timestamping)",
        "offsetof(struct scm_timestamping, ts[2])", "sizeof(struct sock_extended_err)",
        "offsetof(struct sock_extended_err, ee_origin)", "offsetof(struct sock_extended_err, ee_info)",
        "offsetof(struct sock_extended_err, ee_data)",
    ];

    /// <summary>Where CMSG_DATA puts a control message's data: the aligned header's size.</summary>
    public const string CmsgDataOffset = "(unsigned char*)CMSG_DATA(&probe_cmsg) - (unsigned char*)&probe_cmsg";

    public static Dictionary<string, long> Run() => CProbe.Run(
        "#define _GNU_SOURCE\n#include <errno.h>\n#include <time.h>\n#include <sched.h>\n#include <sys/time.h>\n#include <sys/socket.h>\n" +
        "#include <netinet/in.h>\n#include <linux/errqueue.h>\n#include <linux/net_tstamp.h>\nstatic struct cmsghdr probe_cmsg;\n",
        [.. Facts, CmsgDataOffset]);

}
