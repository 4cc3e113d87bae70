using FastNtp.Interop.Xsk;

namespace FastNtp.Interop.Tests.Xsk;

/// <summary>Pins the AF_XDP structs and constants the binding mirrors to this machine's &lt;linux/if_xdp.h&gt;, compiled with gcc.</summary>
public class XskLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Facts = new(Probe);

    [Theory]
    [InlineData("sizeof(struct sockaddr_xdp)", typeof(SockaddrXdp), null)]
    [InlineData("offsetof(struct sockaddr_xdp, sxdp_flags)", typeof(SockaddrXdp), nameof(SockaddrXdp.Flags))]
    [InlineData("offsetof(struct sockaddr_xdp, sxdp_ifindex)", typeof(SockaddrXdp), nameof(SockaddrXdp.InterfaceIndex))]
    [InlineData("offsetof(struct sockaddr_xdp, sxdp_queue_id)", typeof(SockaddrXdp), nameof(SockaddrXdp.QueueId))]
    [InlineData("offsetof(struct sockaddr_xdp, sxdp_shared_umem_fd)", typeof(SockaddrXdp), nameof(SockaddrXdp.SharedUmemFd))]
    [InlineData("sizeof(struct xdp_ring_offset)", typeof(XdpRingOffset), null)]
    [InlineData("offsetof(struct xdp_ring_offset, consumer)", typeof(XdpRingOffset), nameof(XdpRingOffset.Consumer))]
    [InlineData("offsetof(struct xdp_ring_offset, desc)", typeof(XdpRingOffset), nameof(XdpRingOffset.Descriptors))]
    [InlineData("offsetof(struct xdp_ring_offset, flags)", typeof(XdpRingOffset), nameof(XdpRingOffset.Flags))]
    [InlineData("sizeof(struct xdp_mmap_offsets)", typeof(XdpMmapOffsets), null)]
    [InlineData("offsetof(struct xdp_mmap_offsets, tx)", typeof(XdpMmapOffsets), nameof(XdpMmapOffsets.Tx))]
    [InlineData("offsetof(struct xdp_mmap_offsets, fr)", typeof(XdpMmapOffsets), nameof(XdpMmapOffsets.Fill))]
    [InlineData("offsetof(struct xdp_mmap_offsets, cr)", typeof(XdpMmapOffsets), nameof(XdpMmapOffsets.Completion))]
    [InlineData("sizeof(struct xdp_umem_reg)", typeof(XdpUmemReg), null)]
    [InlineData("offsetof(struct xdp_umem_reg, len)", typeof(XdpUmemReg), nameof(XdpUmemReg.Length))]
    [InlineData("offsetof(struct xdp_umem_reg, chunk_size)", typeof(XdpUmemReg), nameof(XdpUmemReg.ChunkSize))]
    [InlineData("offsetof(struct xdp_umem_reg, headroom)", typeof(XdpUmemReg), nameof(XdpUmemReg.Headroom))]
    [InlineData("offsetof(struct xdp_umem_reg, flags)", typeof(XdpUmemReg), nameof(XdpUmemReg.Flags))]
    [InlineData("sizeof(struct xdp_desc)", typeof(XdpDescriptor), null)]
    [InlineData("offsetof(struct xdp_desc, len)", typeof(XdpDescriptor), nameof(XdpDescriptor.Length))]
    [InlineData("offsetof(struct xdp_desc, options)", typeof(XdpDescriptor), nameof(XdpDescriptor.Options))]
    [InlineData("sizeof(struct xdp_statistics)", typeof(XdpStatistics), null)]
    [InlineData("offsetof(struct xdp_statistics, tx_ring_empty_descs)", typeof(XdpStatistics), nameof(XdpStatistics.TxRingEmpty))]
    public void Layout_MatchesTheKernelHeaders(string fact, Type type, string? field)
    {
        long managed = field is null ? Marshal.SizeOf(type) : Marshal.OffsetOf(type, field);
        Assert.Equal(Facts.Value[fact], managed);
    }

    [Fact]
    public void Constants_MatchTheKernelHeaders()
    {
        Assert.Equal(XdpConstants.AF_XDP, Facts.Value["AF_XDP"]);
        Assert.Equal(XdpConstants.SOCK_RAW, Facts.Value["SOCK_RAW"]);
        Assert.Equal(XdpConstants.SOL_XDP, Facts.Value["SOL_XDP"]);
        Assert.Equal(XdpConstants.XDP_MMAP_OFFSETS, Facts.Value["XDP_MMAP_OFFSETS"]);
        Assert.Equal(XdpConstants.XDP_RX_RING, Facts.Value["XDP_RX_RING"]);
        Assert.Equal(XdpConstants.XDP_TX_RING, Facts.Value["XDP_TX_RING"]);
        Assert.Equal(XdpConstants.XDP_UMEM_REG, Facts.Value["XDP_UMEM_REG"]);
        Assert.Equal(XdpConstants.XDP_UMEM_FILL_RING, Facts.Value["XDP_UMEM_FILL_RING"]);
        Assert.Equal(XdpConstants.XDP_UMEM_COMPLETION_RING, Facts.Value["XDP_UMEM_COMPLETION_RING"]);
        Assert.Equal(XdpConstants.XDP_STATISTICS, Facts.Value["XDP_STATISTICS"]);
        Assert.Equal(XdpConstants.XDP_OPTIONS, Facts.Value["XDP_OPTIONS"]);
        Assert.Equal(XdpConstants.XDP_COPY, Facts.Value["XDP_COPY"]);
        Assert.Equal(XdpConstants.XDP_ZEROCOPY, Facts.Value["XDP_ZEROCOPY"]);
        Assert.Equal(XdpConstants.XDP_USE_NEED_WAKEUP, Facts.Value["XDP_USE_NEED_WAKEUP"]);
        Assert.Equal(XdpConstants.XDP_RING_NEED_WAKEUP, Facts.Value["XDP_RING_NEED_WAKEUP"]);
        Assert.Equal(XdpConstants.XDP_OPTIONS_ZEROCOPY, Facts.Value["XDP_OPTIONS_ZEROCOPY"]);
        Assert.Equal(XdpConstants.XDP_PGOFF_RX_RING, Facts.Value["XDP_PGOFF_RX_RING"]);
        Assert.Equal(XdpConstants.XDP_PGOFF_TX_RING, Facts.Value["XDP_PGOFF_TX_RING"]);
        Assert.Equal(XdpConstants.XDP_UMEM_PGOFF_FILL_RING, Facts.Value["XDP_UMEM_PGOFF_FILL_RING"]);
        Assert.Equal(XdpConstants.XDP_UMEM_PGOFF_COMPLETION_RING, Facts.Value["XDP_UMEM_PGOFF_COMPLETION_RING"]);
        Assert.Equal((long)Interop.Libc.MapMode.Private, Facts.Value["MAP_PRIVATE"]);
        Assert.Equal((long)Interop.Libc.MapMode.Anonymous, Facts.Value["MAP_ANONYMOUS"]);
        Assert.Equal((long)Interop.Libc.MapMode.Populate, Facts.Value["MAP_POPULATE"]);
        Assert.Equal(Interop.Libc.PollIn, Facts.Value["POLLIN"]);
        Assert.Equal(Marshal.SizeOf<Interop.Libc.PollFd>(), Facts.Value["sizeof(struct pollfd)"]);
    }

    private static Dictionary<string, long> Probe()
    {
        string[] facts =
        [
            "sizeof(struct sockaddr_xdp)", "offsetof(struct sockaddr_xdp, sxdp_flags)", "offsetof(struct sockaddr_xdp, sxdp_ifindex)",
            "offsetof(struct sockaddr_xdp, sxdp_queue_id)", "offsetof(struct sockaddr_xdp, sxdp_shared_umem_fd)",
            "sizeof(struct xdp_ring_offset)", "offsetof(struct xdp_ring_offset, consumer)", "offsetof(struct xdp_ring_offset, desc)",
            "offsetof(struct xdp_ring_offset, flags)", "sizeof(struct xdp_mmap_offsets)", "offsetof(struct xdp_mmap_offsets, tx)",
            "offsetof(struct xdp_mmap_offsets, fr)", "offsetof(struct xdp_mmap_offsets, cr)", "sizeof(struct xdp_umem_reg)",
            "offsetof(struct xdp_umem_reg, len)", "offsetof(struct xdp_umem_reg, chunk_size)", "offsetof(struct xdp_umem_reg, headroom)",
            "offsetof(struct xdp_umem_reg, flags)", "sizeof(struct xdp_desc)", "offsetof(struct xdp_desc, len)",
            "offsetof(struct xdp_desc, options)", "sizeof(struct xdp_statistics)", "offsetof(struct xdp_statistics, tx_ring_empty_descs)",
            "AF_XDP", "SOCK_RAW", "SOL_XDP", "XDP_MMAP_OFFSETS", "XDP_RX_RING", "XDP_TX_RING", "XDP_UMEM_REG", "XDP_UMEM_FILL_RING",
            "XDP_UMEM_COMPLETION_RING", "XDP_STATISTICS", "XDP_OPTIONS", "XDP_COPY", "XDP_ZEROCOPY", "XDP_USE_NEED_WAKEUP",
            "XDP_RING_NEED_WAKEUP", "XDP_OPTIONS_ZEROCOPY", "XDP_PGOFF_RX_RING", "XDP_PGOFF_TX_RING", "XDP_UMEM_PGOFF_FILL_RING",
            "XDP_UMEM_PGOFF_COMPLETION_RING", "MAP_PRIVATE", "MAP_ANONYMOUS", "MAP_POPULATE", "POLLIN", "sizeof(struct pollfd)",
        ];
        return CProbe.Run(
            "#include <poll.h>\n#include <sys/mman.h>\n#include <sys/socket.h>\n#include <linux/if_xdp.h>\n#ifndef SOL_XDP\n#define SOL_XDP 283\n#endif\n",
            facts);
    }
}
