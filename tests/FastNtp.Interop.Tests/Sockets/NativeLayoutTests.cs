namespace FastNtp.Interop.Tests.Sockets;

/// <summary>Pins the managed mirrors of kernel structs to the Linux LP64 (x86-64, arm64) ABI.</summary>
public class NativeLayoutTests
{
    [Fact]
    public void Sizes_MatchTheLp64Abi()
    {
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<MsgHdr>());
        Assert.Equal(64, Unsafe.SizeOf<MMsgHdr>());
        Assert.Equal(16, Unsafe.SizeOf<CMsgHdr>());
        Assert.Equal(16, Unsafe.SizeOf<SockAddrIn>());
        Assert.Equal(28, Unsafe.SizeOf<SockAddrIn6>());
        Assert.Equal(12, Unsafe.SizeOf<InPktInfo>());
        Assert.Equal(20, Unsafe.SizeOf<In6PktInfo>());
        Assert.Equal(16, Unsafe.SizeOf<TimeSpec>());
        Assert.Equal(16, Unsafe.SizeOf<TimeVal>());
    }

    [Fact]
    public void Offsets_MatchTheLp64Abi()
    {
        Assert.Equal(0, Offset<IoVec>(nameof(IoVec.Base)));
        Assert.Equal(8, Offset<IoVec>(nameof(IoVec.Length)));

        Assert.Equal(0, Offset<MsgHdr>(nameof(MsgHdr.Name)));
        Assert.Equal(8, Offset<MsgHdr>(nameof(MsgHdr.NameLength)));
        Assert.Equal(16, Offset<MsgHdr>(nameof(MsgHdr.Iov)));
        Assert.Equal(24, Offset<MsgHdr>(nameof(MsgHdr.IovLength)));
        Assert.Equal(32, Offset<MsgHdr>(nameof(MsgHdr.Control)));
        Assert.Equal(40, Offset<MsgHdr>(nameof(MsgHdr.ControlLength)));
        Assert.Equal(48, Offset<MsgHdr>(nameof(MsgHdr.Flags)));

        Assert.Equal(0, Offset<MMsgHdr>(nameof(MMsgHdr.Header)));
        Assert.Equal(56, Offset<MMsgHdr>(nameof(MMsgHdr.Length)));

        Assert.Equal(0, Offset<CMsgHdr>(nameof(CMsgHdr.Length)));
        Assert.Equal(8, Offset<CMsgHdr>(nameof(CMsgHdr.Level)));
        Assert.Equal(12, Offset<CMsgHdr>(nameof(CMsgHdr.Type)));

        Assert.Equal(0, Offset<SockAddrIn>(nameof(SockAddrIn.Family)));
        Assert.Equal(2, Offset<SockAddrIn>(nameof(SockAddrIn.Port)));
        Assert.Equal(4, Offset<SockAddrIn>(nameof(SockAddrIn.Address)));

        Assert.Equal(0, Offset<SockAddrIn6>(nameof(SockAddrIn6.Family)));
        Assert.Equal(2, Offset<SockAddrIn6>(nameof(SockAddrIn6.Port)));
        Assert.Equal(4, Offset<SockAddrIn6>(nameof(SockAddrIn6.FlowInfo)));
        Assert.Equal(8, Offset<SockAddrIn6>(nameof(SockAddrIn6.Address)));
        Assert.Equal(24, Offset<SockAddrIn6>(nameof(SockAddrIn6.ScopeId)));

        Assert.Equal(0, Offset<InPktInfo>(nameof(InPktInfo.InterfaceIndex)));
        Assert.Equal(4, Offset<InPktInfo>(nameof(InPktInfo.SpecificDestination)));
        Assert.Equal(8, Offset<InPktInfo>(nameof(InPktInfo.Address)));

        Assert.Equal(0, Offset<In6PktInfo>(nameof(In6PktInfo.Address)));
        Assert.Equal(16, Offset<In6PktInfo>(nameof(In6PktInfo.InterfaceIndex)));

        Assert.Equal(0, Offset<TimeSpec>(nameof(TimeSpec.Seconds)));
        Assert.Equal(8, Offset<TimeSpec>(nameof(TimeSpec.Nanoseconds)));
    }

    [Fact]
    public void CmsgMacros_MatchGlibcOnLp64()
    {
        Assert.Equal(32, LinuxConstants.CmsgSpace(16)); // timespec
        Assert.Equal(32, LinuxConstants.CmsgSpace(12)); // in_pktinfo
        Assert.Equal(40, LinuxConstants.CmsgSpace(20)); // in6_pktinfo
        Assert.Equal(28, LinuxConstants.CmsgLength(12));
        Assert.Equal(36, LinuxConstants.CmsgLength(20));
        Assert.True(PacketBatch.ControlSize >= LinuxConstants.CmsgSpace(48) + LinuxConstants.CmsgSpace(20)); // stamps + in6_pktinfo
        Assert.True(PacketBatch.ControlSize >= LinuxConstants.CmsgSpace(48) + LinuxConstants.CmsgSpace(16 + 28)); // stamps + error + sockaddr_in6
    }

    /// <summary>
    /// Compiles a C program against this machine's kernel and libc headers and compares every size, offset
    /// and constant it prints with the managed definitions. Needs gcc; fails (does not skip) without it.
    /// </summary>
    [Fact]
    public void LayoutsAndConstants_MatchTheCCompiler()
    {
        Dictionary<string, long> c = NativeProbe.Run();
        var managed = new Dictionary<string, long>
        {
            ["sizeof(struct iovec)"] = Unsafe.SizeOf<IoVec>(),
            ["sizeof(struct msghdr)"] = Unsafe.SizeOf<MsgHdr>(),
            ["sizeof(struct mmsghdr)"] = Unsafe.SizeOf<MMsgHdr>(),
            ["sizeof(struct cmsghdr)"] = Unsafe.SizeOf<CMsgHdr>(),
            ["sizeof(struct sockaddr_in)"] = Unsafe.SizeOf<SockAddrIn>(),
            ["sizeof(struct sockaddr_in6)"] = Unsafe.SizeOf<SockAddrIn6>(),
            ["sizeof(struct in_pktinfo)"] = Unsafe.SizeOf<InPktInfo>(),
            ["sizeof(struct in6_pktinfo)"] = Unsafe.SizeOf<In6PktInfo>(),
            ["sizeof(struct timespec)"] = Unsafe.SizeOf<TimeSpec>(),
            ["sizeof(struct timeval)"] = Unsafe.SizeOf<TimeVal>(),
            ["offsetof(struct iovec, iov_len)"] = Offset<IoVec>(nameof(IoVec.Length)),
            ["offsetof(struct msghdr, msg_namelen)"] = Offset<MsgHdr>(nameof(MsgHdr.NameLength)),
            ["offsetof(struct msghdr, msg_iov)"] = Offset<MsgHdr>(nameof(MsgHdr.Iov)),
            ["offsetof(struct msghdr, msg_iovlen)"] = Offset<MsgHdr>(nameof(MsgHdr.IovLength)),
            ["offsetof(struct msghdr, msg_control)"] = Offset<MsgHdr>(nameof(MsgHdr.Control)),
            ["offsetof(struct msghdr, msg_controllen)"] = Offset<MsgHdr>(nameof(MsgHdr.ControlLength)),
            ["offsetof(struct msghdr, msg_flags)"] = Offset<MsgHdr>(nameof(MsgHdr.Flags)),
            ["offsetof(struct mmsghdr, msg_len)"] = Offset<MMsgHdr>(nameof(MMsgHdr.Length)),
            ["offsetof(struct cmsghdr, cmsg_level)"] = Offset<CMsgHdr>(nameof(CMsgHdr.Level)),
            ["offsetof(struct cmsghdr, cmsg_type)"] = Offset<CMsgHdr>(nameof(CMsgHdr.Type)),
            ["offsetof(struct sockaddr_in, sin_port)"] = Offset<SockAddrIn>(nameof(SockAddrIn.Port)),
            ["offsetof(struct sockaddr_in, sin_addr)"] = Offset<SockAddrIn>(nameof(SockAddrIn.Address)),
            ["offsetof(struct sockaddr_in6, sin6_port)"] = Offset<SockAddrIn6>(nameof(SockAddrIn6.Port)),
            ["offsetof(struct sockaddr_in6, sin6_flowinfo)"] = Offset<SockAddrIn6>(nameof(SockAddrIn6.FlowInfo)),
            ["offsetof(struct sockaddr_in6, sin6_addr)"] = Offset<SockAddrIn6>(nameof(SockAddrIn6.Address)),
            ["offsetof(struct sockaddr_in6, sin6_scope_id)"] = Offset<SockAddrIn6>(nameof(SockAddrIn6.ScopeId)),
            ["offsetof(struct in_pktinfo, ipi_spec_dst)"] = Offset<InPktInfo>(nameof(InPktInfo.SpecificDestination)),
            ["offsetof(struct in_pktinfo, ipi_addr)"] = Offset<InPktInfo>(nameof(InPktInfo.Address)),
            ["offsetof(struct in6_pktinfo, ipi6_ifindex)"] = Offset<In6PktInfo>(nameof(In6PktInfo.InterfaceIndex)),
            ["offsetof(struct timespec, tv_nsec)"] = Offset<TimeSpec>(nameof(TimeSpec.Nanoseconds)),
            ["CMSG_SPACE(sizeof(struct timespec))"] = LinuxConstants.CmsgSpace(16),
            ["CMSG_SPACE(sizeof(struct in6_pktinfo))"] = LinuxConstants.CmsgSpace(20),
            ["CMSG_LEN(sizeof(struct in_pktinfo))"] = LinuxConstants.CmsgLength(12),
            [NativeProbe.CmsgDataOffset] = LinuxConstants.CmsgHeaderSize,
            ["AF_INET"] = LinuxConstants.AF_INET,
            ["AF_INET6"] = LinuxConstants.AF_INET6,
            ["SOCK_DGRAM"] = LinuxConstants.SOCK_DGRAM,
            ["SOCK_CLOEXEC"] = LinuxConstants.SOCK_CLOEXEC,
            ["IPPROTO_UDP"] = LinuxConstants.IPPROTO_UDP,
            ["SOL_SOCKET"] = LinuxConstants.SOL_SOCKET,
            ["SOL_IP"] = LinuxConstants.SOL_IP,
            ["SOL_IPV6"] = LinuxConstants.SOL_IPV6,
            ["SO_REUSEPORT"] = LinuxConstants.SO_REUSEPORT,
            ["SO_SNDBUF"] = LinuxConstants.SO_SNDBUF,
            ["SO_RCVBUF"] = LinuxConstants.SO_RCVBUF,
            ["SO_SNDBUFFORCE"] = LinuxConstants.SO_SNDBUFFORCE,
            ["SO_RCVBUFFORCE"] = LinuxConstants.SO_RCVBUFFORCE,
            ["SO_RCVTIMEO"] = LinuxConstants.SO_RCVTIMEO,
            ["SO_SNDTIMEO"] = LinuxConstants.SO_SNDTIMEO,
            ["SO_TIMESTAMPING"] = LinuxConstants.SO_TIMESTAMPING,
            ["SCM_TIMESTAMPING"] = LinuxConstants.SCM_TIMESTAMPING,
            ["IP_RECVERR"] = LinuxConstants.IP_RECVERR,
            ["IPV6_RECVERR"] = LinuxConstants.IPV6_RECVERR,
            ["MSG_ERRQUEUE"] = LinuxConstants.MSG_ERRQUEUE,
            ["ENOMSG"] = LinuxConstants.ENOMSG,
            ["SO_EE_ORIGIN_TIMESTAMPING"] = LinuxConstants.SO_EE_ORIGIN_TIMESTAMPING,
            ["SCM_TSTAMP_SND"] = LinuxConstants.SCM_TSTAMP_SND,
            ["sizeof(struct scm_timestamping)"] = Unsafe.SizeOf<ScmTimestamping>(),
            ["offsetof(struct scm_timestamping, ts[2])"] = Offset<ScmTimestamping>(nameof(ScmTimestamping.RawHardware)),
            ["sizeof(struct sock_extended_err)"] = Unsafe.SizeOf<SockExtendedErr>(),
            ["offsetof(struct sock_extended_err, ee_origin)"] = Offset<SockExtendedErr>(nameof(SockExtendedErr.Origin)),
            ["offsetof(struct sock_extended_err, ee_info)"] = Offset<SockExtendedErr>(nameof(SockExtendedErr.Info)),
            ["offsetof(struct sock_extended_err, ee_data)"] = Offset<SockExtendedErr>(nameof(SockExtendedErr.Data)),
            ["IP_PKTINFO"] = LinuxConstants.IP_PKTINFO,
            ["IPV6_V6ONLY"] = LinuxConstants.IPV6_V6ONLY,
            ["IPV6_RECVPKTINFO"] = LinuxConstants.IPV6_RECVPKTINFO,
            ["IPV6_PKTINFO"] = LinuxConstants.IPV6_PKTINFO,
            ["MSG_TRUNC"] = LinuxConstants.MSG_TRUNC,
            ["MSG_DONTWAIT"] = LinuxConstants.MSG_DONTWAIT,
            ["MSG_WAITFORONE"] = LinuxConstants.MSG_WAITFORONE,
            ["SHUT_RD"] = LinuxConstants.SHUT_RD,
            ["CLOCK_REALTIME"] = LinuxConstants.CLOCK_REALTIME,
            ["sizeof(cpu_set_t)"] = 128,
            ["EAGAIN"] = (long)Errno.EAGAIN,
            ["EINTR"] = (long)Errno.EINTR,
            ["ENOBUFS"] = (long)Errno.ENOBUFS,
            ["ECONNREFUSED"] = (long)Errno.ECONNREFUSED,
            ["EMSGSIZE"] = (long)Errno.EMSGSIZE,
            ["ENOTCONN"] = (long)Errno.ENOTCONN,
            ["EHOSTUNREACH"] = (long)Errno.EHOSTUNREACH,
            ["ENETUNREACH"] = (long)Errno.ENETUNREACH,
            ["EADDRINUSE"] = (long)Errno.EADDRINUSE,
            ["EPERM"] = (long)Errno.EPERM,
        };

        var mismatches = new List<string>();
        foreach ((string name, long value) in managed)
        {
            if (!c.TryGetValue(name, out long native)) mismatches.Add($"{name}: not printed by the C probe");
            else if (native != value) mismatches.Add($"{name}: C says {native}, managed says {value}");
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.Equal(managed.Count, c.Count);
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
