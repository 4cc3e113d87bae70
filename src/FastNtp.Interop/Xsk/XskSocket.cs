using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Xsk;

/// <summary>
/// An AF_XDP socket bound to one queue of one interface, with its own UMEM (frames of <see cref="FrameSize"/>
/// octets) and its four rings mapped once: fill and completion for the UMEM, RX and TX for frames. Each ring
/// holds as many entries as the UMEM has frames, so a frame always has room in whichever ring it goes to next.
/// </summary>
public sealed unsafe class XskSocket : IDisposable
{
    /// <summary>One page per frame: the largest chunk an aligned UMEM takes, room for any NTS frame.</summary>
    public const int FrameSize = 4096;

    private readonly SafeFileDescriptor _fd;
    private readonly SafeMappedMemoryHandle _umem;
    private readonly List<SafeMappedMemoryHandle> _rings = [];
    private readonly byte* _frames;

    private XskSocket(SafeFileDescriptor fd, SafeMappedMemoryHandle umem, int frameCount)
    {
        _fd = fd;
        _umem = umem;
        _frames = (byte*)umem.DangerousGetHandle();
        FrameCount = frameCount;
    }

    public int FrameCount { get; }

    /// <summary>
    /// Frames one wake-up (<see cref="WakeTransmit"/> or the poll in <see cref="WaitForReceive"/>) sends in copy mode:
    /// the whole TX ring where the kernel lets the socket raise its budget (Linux 6.17+), else the kernel's 32.
    /// </summary>
    public int TransmitBudget { get; private set; } = DefaultTransmitBudget;

    /// <summary>What copy mode sends per wake-up when the budget cannot be raised (the kernel's TX_BATCH_SIZE).</summary>
    private const int DefaultTransmitBudget = 32;

    /// <summary>Whether the driver DMAs straight into the UMEM (else the kernel copies each frame).</summary>
    public bool IsZeroCopy { get; private set; }

    public XskProducerRing Fill { get; private set; } = null!;
    public XskConsumerRing Completion { get; private set; } = null!;
    public XskConsumerRing Rx { get; private set; } = null!;
    public XskProducerRing Tx { get; private set; } = null!;

    /// <summary>The socket's descriptor, for the XSKMAP entry that steers a queue's frames to it.</summary>
    public int Descriptor => (int)_fd.DangerousGetHandle();

    /// <summary>
    /// Opens, registers a UMEM of <paramref name="frameCount"/> frames (a power of two), maps the rings and binds.
    /// Throws <see cref="NativeSocketException"/> naming the call the kernel refused.
    /// </summary>
    public static XskSocket Open(int interfaceIndex, uint queue, int frameCount, XskBindMode mode)
    {
        if (frameCount < 2 || (frameCount & (frameCount - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, "The frame count is a power of two.");
        int fd = Interop.Libc.Socket(XdpConstants.AF_XDP, XdpConstants.SOCK_RAW | LinuxConstants.SOCK_CLOEXEC, 0);
        if (fd < 0) throw NativeSocketException.FromLastError("socket(AF_XDP)");
        var handle = new SafeFileDescriptor(fd);
        XskSocket? socket = null;
        try
        {
            nuint umemLength = (nuint)frameCount * FrameSize;
            nint umem = Interop.Libc.Mmap(0, umemLength, Interop.Libc.Protection.Read | Interop.Libc.Protection.Write,
                Interop.Libc.MapMode.Private | Interop.Libc.MapMode.Anonymous | Interop.Libc.MapMode.Populate, -1, 0);
            if (umem == -1) throw NativeSocketException.FromLastError("mmap(UMEM)");
            socket = new XskSocket(handle, new SafeMappedMemoryHandle(umem, umemLength), frameCount);

            var registration = new XdpUmemReg { Address = (ulong)umem, Length = umemLength, ChunkSize = FrameSize };
            socket.SetOption(XdpConstants.XDP_UMEM_REG, &registration, sizeof(XdpUmemReg), "XDP_UMEM_REG");
            uint entries = (uint)frameCount;
            socket.SetOption(XdpConstants.XDP_UMEM_FILL_RING, &entries, sizeof(uint), "XDP_UMEM_FILL_RING");
            socket.SetOption(XdpConstants.XDP_UMEM_COMPLETION_RING, &entries, sizeof(uint), "XDP_UMEM_COMPLETION_RING");
            socket.SetOption(XdpConstants.XDP_RX_RING, &entries, sizeof(uint), "XDP_RX_RING");
            socket.SetOption(XdpConstants.XDP_TX_RING, &entries, sizeof(uint), "XDP_TX_RING");
            // One wake-up per batch of replies instead of one per 32: fewer system calls, and the peer's receive
            // side is scheduled once per batch. Older kernels lack the option and keep their budget.
            if (entries > DefaultTransmitBudget
                && Interop.Libc.SetSockOpt(handle, XdpConstants.SOL_XDP, XdpConstants.XDP_MAX_TX_SKB_BUDGET, &entries, sizeof(uint)) == 0)
            {
                socket.TransmitBudget = (int)entries;
            }

            XdpMmapOffsets offsets;
            uint length = (uint)sizeof(XdpMmapOffsets);
            if (Interop.Libc.GetSockOpt(handle, XdpConstants.SOL_XDP, XdpConstants.XDP_MMAP_OFFSETS, &offsets, &length) != 0)
                throw NativeSocketException.FromLastError("getsockopt(XDP_MMAP_OFFSETS)");
            socket.Fill = new XskProducerRing(socket.MapRing(offsets.Fill, entries, sizeof(ulong), XdpConstants.XDP_UMEM_PGOFF_FILL_RING, out uint* fillConsumer, out uint* fillFlags, out byte* fillEntries), fillConsumer, fillFlags, fillEntries, entries);
            socket.Completion = new XskConsumerRing(socket.MapRing(offsets.Completion, entries, sizeof(ulong), XdpConstants.XDP_UMEM_PGOFF_COMPLETION_RING, out uint* completionConsumer, out uint* completionFlags, out byte* completionEntries), completionConsumer, completionFlags, completionEntries, entries);
            socket.Rx = new XskConsumerRing(socket.MapRing(offsets.Rx, entries, sizeof(XdpDescriptor), XdpConstants.XDP_PGOFF_RX_RING, out uint* rxConsumer, out uint* rxFlags, out byte* rxEntries), rxConsumer, rxFlags, rxEntries, entries);
            socket.Tx = new XskProducerRing(socket.MapRing(offsets.Tx, entries, sizeof(XdpDescriptor), XdpConstants.XDP_PGOFF_TX_RING, out uint* txConsumer, out uint* txFlags, out byte* txEntries), txConsumer, txFlags, txEntries, entries);

            var address = new SockaddrXdp
            {
                Family = XdpConstants.AF_XDP,
                Flags = (ushort)(XdpConstants.XDP_USE_NEED_WAKEUP | mode switch
                {
                    XskBindMode.Copy => XdpConstants.XDP_COPY,
                    XskBindMode.ZeroCopy => XdpConstants.XDP_ZEROCOPY,
                    _ => 0,
                }),
                InterfaceIndex = (uint)interfaceIndex,
                QueueId = queue,
            };
            if (Interop.Libc.Bind(handle, (byte*)&address, (uint)sizeof(SockaddrXdp)) != 0)
                throw NativeSocketException.FromLastError($"bind(AF_XDP, interface {interfaceIndex} queue {queue})");

            uint options = 0;
            length = sizeof(uint);
            if (Interop.Libc.GetSockOpt(handle, XdpConstants.SOL_XDP, XdpConstants.XDP_OPTIONS, &options, &length) != 0)
                throw NativeSocketException.FromLastError("getsockopt(XDP_OPTIONS)");
            socket.IsZeroCopy = (options & XdpConstants.XDP_OPTIONS_ZEROCOPY) != 0;
            return socket;
        }
        catch
        {
            if (socket is null) handle.Dispose();
            else socket.Dispose();
            throw;
        }
    }

    /// <summary>The frame at a UMEM offset the kernel handed over (RX or completion), <paramref name="length"/> octets long.</summary>
    public Span<byte> Frame(ulong address, int length)
    {
        if (address > (ulong)(FrameCount * FrameSize - length) || length < 0 || length > FrameSize)
            throw new ArgumentOutOfRangeException(nameof(address), address, "The frame lies outside the UMEM.");
        return new Span<byte>(_frames + address, length);
    }

    /// <summary>
    /// The <paramref name="length"/> octets in front of a received frame, inside its chunk (where the kernel copies
    /// the frame's XDP metadata); empty when the frame starts closer than that to the start of its chunk.
    /// </summary>
    public Span<byte> InFront(ulong address, int length)
    {
        if (address >= (ulong)(FrameCount * FrameSize) || length is < 0 or > FrameSize)
            throw new ArgumentOutOfRangeException(nameof(address), address, "The frame lies outside the UMEM.");
        return address % FrameSize < (ulong)length ? [] : new Span<byte>(_frames + address - length, length);
    }

    /// <summary>UMEM offset of frame <paramref name="frame"/>.</summary>
    public static ulong FrameAddress(int frame) => (ulong)frame * FrameSize;

    /// <summary>Tells the kernel the TX ring has frames (needed only when <see cref="XskRing.NeedsWakeup"/> says so). False on an unexpected errno.</summary>
    public bool WakeTransmit()
    {
        if (Interop.Libc.SendTo(_fd, null, 0, LinuxConstants.MSG_DONTWAIT, null, 0) >= 0) return true;
        // The kernel is still busy with earlier frames or the link is down: the frames stay queued.
        return NativeSocketException.LastErrno() is Errno.EAGAIN or Errno.EBUSY or Errno.ENOBUFS or Errno.ENETDOWN or Errno.EINTR;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> for received frames. Also the wake-up the fill ring asks for,
    /// and the one TX asks for: on a socket bound with need_wakeup the kernel's poll sends what TX holds (copy mode)
    /// or wakes the driver (zero copy) before it looks at RX.
    /// </summary>
    public void WaitForReceive(int timeoutMilliseconds)
    {
        var poll = new Interop.Libc.PollFd { Fd = Descriptor, Events = Interop.Libc.PollIn };
        Interop.Libc.Poll(&poll, 1, timeoutMilliseconds);
    }

    /// <summary>The kernel's drop counts for this socket.</summary>
    public XdpStatistics ReadStatistics()
    {
        XdpStatistics statistics;
        uint length = (uint)sizeof(XdpStatistics);
        if (Interop.Libc.GetSockOpt(_fd, XdpConstants.SOL_XDP, XdpConstants.XDP_STATISTICS, &statistics, &length) != 0)
            throw NativeSocketException.FromLastError("getsockopt(XDP_STATISTICS)");
        return statistics;
    }

    /// <summary>Closes the socket (which takes it out of any XSKMAP), then unmaps the rings and the UMEM.</summary>
    public void Dispose()
    {
        _fd.Dispose();
        foreach (SafeMappedMemoryHandle ring in _rings) ring.Dispose();
        _rings.Clear();
        _umem.Dispose();
    }

    private void SetOption(int name, void* value, int length, string label)
    {
        if (Interop.Libc.SetSockOpt(_fd, XdpConstants.SOL_XDP, name, value, (uint)length) != 0)
            throw NativeSocketException.FromLastError($"setsockopt({label})");
    }

    /// <summary>Maps one ring; returns its producer index and gives the rest of its layout.</summary>
    private uint* MapRing(in XdpRingOffset offset, uint entries, int entrySize, long pageOffset, out uint* consumer, out uint* flags, out byte* descriptors)
    {
        nuint length = (nuint)(offset.Descriptors + entries * (ulong)entrySize);
        nint address = Interop.Libc.Mmap(0, length, Interop.Libc.Protection.Read | Interop.Libc.Protection.Write,
            Interop.Libc.MapMode.Shared | Interop.Libc.MapMode.Populate, Descriptor, (nint)pageOffset);
        if (address == -1) throw NativeSocketException.FromLastError("mmap(AF_XDP ring)");
        _rings.Add(new SafeMappedMemoryHandle(address, length));
        byte* start = (byte*)address;
        consumer = (uint*)(start + offset.Consumer);
        flags = (uint*)(start + offset.Flags);
        descriptors = start + offset.Descriptors;
        return (uint*)(start + offset.Producer);
    }
}
