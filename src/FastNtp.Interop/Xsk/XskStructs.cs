using System.Runtime.InteropServices;

namespace FastNtp.Interop.Xsk;

// The structs of <linux/if_xdp.h>, field for field; XskStructTests pins their sizes and offsets.

/// <summary>struct sockaddr_xdp: the interface and queue an AF_XDP socket binds to.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockaddrXdp
{
    public ushort Family;
    public ushort Flags;
    public uint InterfaceIndex;
    public uint QueueId;
    public uint SharedUmemFd;
}

/// <summary>struct xdp_ring_offset: where a ring's indices, flags and entries sit in its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpRingOffset
{
    public ulong Producer;
    public ulong Consumer;
    public ulong Descriptors;
    public ulong Flags;
}

/// <summary>struct xdp_mmap_offsets: the four rings' layouts, as XDP_MMAP_OFFSETS reports them.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpMmapOffsets
{
    public XdpRingOffset Rx;
    public XdpRingOffset Tx;
    public XdpRingOffset Fill;
    public XdpRingOffset Completion;
}

/// <summary>struct xdp_umem_reg, with the trailing field newer kernels name tx_metadata_len (zero here).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpUmemReg
{
    public ulong Address;
    public ulong Length;
    public uint ChunkSize;
    public uint Headroom;
    public uint Flags;
    public uint TxMetadataLength;
}

/// <summary>struct xdp_desc: one frame in the RX or TX ring, by its offset into the UMEM.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct XdpDescriptor
{
    public ulong Address;
    public uint Length;
    public uint Options;
}

/// <summary>struct xdp_statistics: what the kernel dropped or could not do for one socket.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct XdpStatistics
{
    public ulong RxDropped;
    public ulong RxInvalidDescriptors;
    public ulong TxInvalidDescriptors;
    public ulong RxRingFull;
    public ulong RxFillRingEmpty;
    public ulong TxRingEmpty;
}

/// <summary>The constants of &lt;linux/if_xdp.h&gt; and the socket family this binding uses.</summary>
internal static class XdpConstants
{
    public const int AF_XDP = 44;
    public const int SOCK_RAW = 3;
    public const int SOL_XDP = 283;

    public const int XDP_MMAP_OFFSETS = 1;
    public const int XDP_RX_RING = 2;
    public const int XDP_TX_RING = 3;
    public const int XDP_UMEM_REG = 4;
    public const int XDP_UMEM_FILL_RING = 5;
    public const int XDP_UMEM_COMPLETION_RING = 6;
    public const int XDP_STATISTICS = 7;
    public const int XDP_OPTIONS = 8;
    /// <summary>Linux 6.17+: frames one copy-mode transmit call may send (the kernel's default is 32).</summary>
    public const int XDP_MAX_TX_SKB_BUDGET = 9;

    public const ushort XDP_COPY = 1 << 1;
    public const ushort XDP_ZEROCOPY = 1 << 2;
    public const ushort XDP_USE_NEED_WAKEUP = 1 << 3;
    public const uint XDP_RING_NEED_WAKEUP = 1 << 0;
    public const uint XDP_OPTIONS_ZEROCOPY = 1 << 0;

    public const long XDP_PGOFF_RX_RING = 0;
    public const long XDP_PGOFF_TX_RING = 0x80000000;
    public const long XDP_UMEM_PGOFF_FILL_RING = 0x100000000;
    public const long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000;
}
