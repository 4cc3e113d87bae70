using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using static FastNtp.Interop.Sockets.LinuxConstants;

namespace FastNtp.Interop.Sockets;

/// <summary>
/// Datagram slots for one recvmmsg or sendmmsg call: per slot a payload buffer, a peer address, a control
/// (cmsg) area and the native headers that point at them, all in one pinned native block allocated once.
/// After <see cref="UdpBatchSocket.Receive"/> a slot holds a datagram, its sender, its kernel receive timestamp
/// and the local address it arrived on. Before <see cref="UdpBatchSocket.Send"/> a slot is given a length and
/// a destination, either with <see cref="SetLength"/> and <see cref="SetRemoteEndPoint"/> (a client) or with
/// <see cref="PrepareReply"/> (a server). Receiving into a batch overwrites what was set up for sending, so a
/// loop that does both keeps one batch for each. Not thread-safe: one batch belongs to one thread.
/// </summary>
public sealed unsafe class PacketBatch : IDisposable
{
    /// <summary>Room for a sockaddr_in6 rounded up to eight bytes.</summary>
    internal const int NameSize = 32;

    /// <summary>
    /// A timestamping message plus an IPv6 packet-info one (a request), or plus an extended error with its
    /// offender address (a transmit stamp from the error queue), with room for more timestamping messages.
    /// </summary>
    public const int ControlSize = 256;

    /// <summary>The largest UDP payload a 1500-byte Ethernet frame carries over IPv4.</summary>
    public const int DefaultSlotSize = 1472;

    private readonly SafeNativeMemory _memory;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _iovecs;
    private readonly byte* _names;
    private readonly byte* _controls;
    private readonly byte* _buffers;
    private readonly int _bufferStride;

    public PacketBatch(int capacity, int slotSize = DefaultSlotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, 65535);

        Capacity = capacity;
        SlotSize = slotSize;
        _bufferStride = (slotSize + SafeNativeMemory.Alignment - 1) & ~(SafeNativeMemory.Alignment - 1);

        nuint headersSize = (nuint)(capacity * sizeof(MMsgHdr));
        nuint iovecsSize = (nuint)(capacity * sizeof(IoVec));
        nuint namesSize = (nuint)(capacity * NameSize);
        nuint controlsSize = (nuint)(capacity * ControlSize);
        nuint buffersSize = (nuint)capacity * (nuint)_bufferStride;
        _memory = new SafeNativeMemory(Align(headersSize) + Align(iovecsSize) + Align(namesSize) + Align(controlsSize) + buffersSize);

        byte* p = _memory.Pointer;
        _headers = (MMsgHdr*)p;
        p += Align(headersSize);
        _iovecs = (IoVec*)p;
        p += Align(iovecsSize);
        _names = p;
        p += Align(namesSize);
        _controls = p;
        p += Align(controlsSize);
        _buffers = p;

        for (int i = 0; i < capacity; i++)
        {
            _iovecs[i].Base = _buffers + (nint)i * _bufferStride;
            _iovecs[i].Length = (nuint)slotSize;
            MsgHdr* h = &_headers[i].Header;
            h->Name = _names + i * NameSize;
            h->Iov = &_iovecs[i];
            h->IovLength = 1;
            h->Control = _controls + i * ControlSize;
        }
    }

    public int Capacity { get; }

    /// <summary>Bytes per payload buffer; a longer datagram arrives truncated (<see cref="IsTruncated"/>).</summary>
    public int SlotSize { get; }

    internal MMsgHdr* Headers => _headers;

    /// <summary>The whole payload buffer of a slot: write a datagram here before sending it.</summary>
    public Span<byte> GetBuffer(int slot)
    {
        CheckSlot(slot);
        return new Span<byte>(_iovecs[slot].Base, SlotSize);
    }

    /// <summary>The bytes of the datagram received into a slot (at most <see cref="SlotSize"/>).</summary>
    public ReadOnlySpan<byte> GetReceived(int slot)
    {
        CheckSlot(slot);
        return new ReadOnlySpan<byte>(_iovecs[slot].Base, (int)Math.Min(_headers[slot].Length, (uint)SlotSize));
    }

    /// <summary>Bytes received into (or sent from) a slot by the last batch call.</summary>
    public int GetLength(int slot)
    {
        CheckSlot(slot);
        return (int)_headers[slot].Length;
    }

    /// <summary>The datagram was longer than <see cref="SlotSize"/> and was cut (MSG_TRUNC).</summary>
    public bool IsTruncated(int slot)
    {
        CheckSlot(slot);
        return (_headers[slot].Header.Flags & MSG_TRUNC) != 0;
    }

    /// <summary>
    /// The kernel's time stamp of a slot (SCM_TIMESTAMPING, CLOCK_REALTIME): when a received datagram arrived,
    /// or, for a message read from the error queue (<see cref="UdpBatchSocket.ReceiveErrors"/>), when a sent one left.
    /// </summary>
    public bool TryGetKernelTimestamp(int slot, out long unixNanoseconds)
    {
        CheckSlot(slot);
        byte* data = FindControlMessage(&_headers[slot].Header, SOL_SOCKET, SCM_TIMESTAMPING, sizeof(ScmTimestamping));
        if (data == null)
        {
            unixNanoseconds = 0;
            return false;
        }

        return ChooseTimestamp(Unsafe.ReadUnaligned<ScmTimestamping>(data), out unixNanoseconds);
    }

    /// <summary>Which of the kernel's stamps a packet's time is taken from: the software one (ts[0]) when present.</summary>
    private static bool ChooseTimestamp(in ScmTimestamping stamps, out long unixNanoseconds)
    {
        unixNanoseconds = stamps.Software.Seconds * 1_000_000_000 + stamps.Software.Nanoseconds;
        return unixNanoseconds != 0;
    }

    /// <summary>
    /// The NIC's stamp of a slot (SCM_TIMESTAMPING's ts[2], in the time of the NIC's PTP hardware clock, not the
    /// system's) and the index of the interface that took it (SCM_TIMESTAMPING_PKTINFO: received datagrams only,
    /// 0 for a transmit stamp). False when the NIC took none.
    /// </summary>
    public bool TryGetHardwareTimestamp(int slot, out long phcNanoseconds, out int interfaceIndex)
    {
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        byte* data = FindControlMessage(h, SOL_SOCKET, SCM_TIMESTAMPING, sizeof(ScmTimestamping));
        TimeSpec raw = data == null ? default : Unsafe.ReadUnaligned<ScmTimestamping>(data).RawHardware;
        phcNanoseconds = raw.Seconds * 1_000_000_000 + raw.Nanoseconds;
        byte* info = phcNanoseconds == 0 ? null : FindControlMessage(h, SOL_SOCKET, SCM_TIMESTAMPING_PKTINFO, sizeof(ScmTsPktInfo));
        interfaceIndex = info == null ? 0 : (int)Unsafe.ReadUnaligned<ScmTsPktInfo>(info).InterfaceIndex;
        return phcNanoseconds != 0;
    }

    /// <summary>
    /// The OPT_ID key of a transmit stamp read from the error queue: the socket's count of datagrams sent
    /// before the one stamped. False for any other error-queue message (an ICMP error, another kind of stamp).
    /// </summary>
    public bool TryGetTimestampKey(int slot, out uint key)
    {
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        byte* data = FindControlMessage(h, SOL_IP, IP_RECVERR, sizeof(SockExtendedErr));
        if (data == null) data = FindControlMessage(h, SOL_IPV6, IPV6_RECVERR, sizeof(SockExtendedErr));
        if (data != null)
        {
            SockExtendedErr error = Unsafe.ReadUnaligned<SockExtendedErr>(data);
            if (error.Errno == ENOMSG && error.Origin == SO_EE_ORIGIN_TIMESTAMPING && error.Info == SCM_TSTAMP_SND)
            {
                key = error.Data;
                return true;
            }
        }

        key = 0;
        return false;
    }

    /// <summary>The sender's UDP port (after receive) or the destination's (after set-up for sending).</summary>
    public ushort GetRemotePort(int slot)
    {
        CheckSlot(slot);
        // sin_port and sin6_port share offset 2.
        return BinaryPrimitives.ReverseEndianness(((SockAddrIn*)_headers[slot].Header.Name)->Port);
    }

    /// <summary>
    /// The sender's address octets, without allocating: 4 for IPv4, 16 for IPv6 (IPv4-mapped on a dual-stack
    /// socket), empty when the slot holds neither. The span lives as long as the batch and the slot's next receive.
    /// </summary>
    public ReadOnlySpan<byte> GetRemoteAddress(int slot)
    {
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        byte* name = (byte*)h->Name;
        if (h->NameLength >= sizeof(SockAddrIn) && ((SockAddrIn*)name)->Family == AF_INET)
            return new ReadOnlySpan<byte>(&((SockAddrIn*)name)->Address, 4);
        if (h->NameLength >= sizeof(SockAddrIn6) && ((SockAddrIn6*)name)->Family == AF_INET6)
            return new ReadOnlySpan<byte>(((SockAddrIn6*)name)->Address, 16);
        return [];
    }

    /// <summary>The sender of a received datagram (IPv4-mapped IPv6 on a dual-stack socket). Allocates.</summary>
    public IPEndPoint GetRemoteEndPoint(int slot)
    {
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        return ReadSockAddr((byte*)h->Name, (int)h->NameLength)
            ?? throw new InvalidOperationException("The slot holds no IPv4 or IPv6 address.");
    }

    /// <summary>
    /// The local address a datagram arrived on, from IP_PKTINFO or IPV6_PKTINFO (<see cref="UdpBatchSocket.EnablePacketInfo"/>).
    /// Allocates; for diagnostics and tests.
    /// </summary>
    public bool TryGetLocalAddress(int slot, out IPAddress? address, out int interfaceIndex)
    {
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        byte* v4 = FindControlMessage(h, SOL_IP, IP_PKTINFO, sizeof(InPktInfo));
        if (v4 != null)
        {
            InPktInfo info = Unsafe.ReadUnaligned<InPktInfo>(v4);
            address = new IPAddress(info.SpecificDestination);
            interfaceIndex = info.InterfaceIndex;
            return true;
        }

        byte* v6 = FindControlMessage(h, SOL_IPV6, IPV6_PKTINFO, sizeof(In6PktInfo));
        if (v6 != null)
        {
            var info = (In6PktInfo*)v6;
            address = new IPAddress(new ReadOnlySpan<byte>(info->Address, 16));
            interfaceIndex = Unsafe.ReadUnaligned<int>(v6 + 16);
            return true;
        }

        address = null;
        interfaceIndex = 0;
        return false;
    }

    /// <summary>Sets how many bytes of the slot's buffer the next send transmits.</summary>
    public void SetLength(int slot, int length)
    {
        CheckSlot(slot);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, SlotSize);
        _iovecs[slot].Length = (nuint)length;
    }

    /// <summary>How many bytes the next send transmits from a slot (set by <see cref="SetLength"/> or <see cref="PrepareReply"/>).</summary>
    public int GetSendLength(int slot)
    {
        CheckSlot(slot);
        return (int)_iovecs[slot].Length;
    }

    /// <summary>
    /// Addresses a slot for sending, with no source-address option. An IPv4 endpoint is written as sockaddr_in,
    /// which a dual-stack IPv6 socket accepts too. Does not allocate.
    /// </summary>
    public void SetRemoteEndPoint(int slot, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        CheckSlot(slot);
        MsgHdr* h = &_headers[slot].Header;
        h->NameLength = (uint)WriteSockAddr(endPoint, new Span<byte>(h->Name, NameSize));
        h->ControlLength = 0;
    }

    /// <summary>
    /// Makes send slot <paramref name="slot"/> a reply to the datagram in <paramref name="request"/>'s slot
    /// <paramref name="requestSlot"/>: same peer, <paramref name="length"/> bytes of this slot's buffer, and,
    /// when the request carried packet info, a packet-info message so the reply leaves from the address the
    /// request came to (a host with several addresses listening on a wildcard address).
    /// </summary>
    public void PrepareReply(int slot, PacketBatch request, int requestSlot, int length)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckSlot(slot);
        request.CheckSlot(requestSlot);
        if ((uint)length > (uint)SlotSize) ThrowLength();

        MsgHdr* reply = &_headers[slot].Header;
        MsgHdr* source = &request._headers[requestSlot].Header;
        uint nameLength = Math.Min(source->NameLength, NameSize);
        Buffer.MemoryCopy(source->Name, reply->Name, NameSize, nameLength);
        reply->NameLength = nameLength;
        _iovecs[slot].Length = (nuint)length;
        reply->ControlLength = (nuint)WriteSourceInfo(source, (byte*)reply->Control);
    }

    /// <summary>Copies the request's packet info into a send control area; returns the bytes used (0 when none).</summary>
    private static int WriteSourceInfo(MsgHdr* request, byte* control)
    {
        byte* v4 = FindControlMessage(request, SOL_IP, IP_PKTINFO, sizeof(InPktInfo));
        if (v4 != null)
        {
            InPktInfo received = Unsafe.ReadUnaligned<InPktInfo>(v4);
            var send = new InPktInfo
            {
                InterfaceIndex = received.InterfaceIndex,
                SpecificDestination = received.SpecificDestination,
                Address = 0,
            };
            WriteControlHeader(control, SOL_IP, IP_PKTINFO, sizeof(InPktInfo));
            Unsafe.WriteUnaligned(control + CmsgHeaderSize, send);
            return CmsgSpace(sizeof(InPktInfo));
        }

        byte* v6 = FindControlMessage(request, SOL_IPV6, IPV6_PKTINFO, sizeof(In6PktInfo));
        if (v6 != null)
        {
            // An IPv4-mapped address here is fine: the kernel routes it through the IPv4 path with that source.
            WriteControlHeader(control, SOL_IPV6, IPV6_PKTINFO, sizeof(In6PktInfo));
            Buffer.MemoryCopy(v6, control + CmsgHeaderSize, sizeof(In6PktInfo), sizeof(In6PktInfo));
            return CmsgSpace(sizeof(In6PktInfo));
        }

        return 0;
    }

    private static void WriteControlHeader(byte* control, int level, int type, int dataLength)
    {
        var header = new CMsgHdr { Length = (nuint)CmsgLength(dataLength), Level = level, Type = type };
        Unsafe.WriteUnaligned(control, header);
        // Zero the padding so the kernel sees clean bytes.
        new Span<byte>(control + CmsgHeaderSize + dataLength, CmsgAlign(dataLength) - dataLength).Clear();
    }

    /// <summary>Walks the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR) and returns the data of the first match.</summary>
    internal static byte* FindControlMessage(MsgHdr* header, int level, int type, int minimumDataLength)
    {
        byte* start = (byte*)header->Control;
        if (start == null) return null;
        nuint total = Math.Min(header->ControlLength, ControlSize);
        byte* end = start + total;
        byte* cursor = start;
        while (cursor + CmsgHeaderSize <= end)
        {
            CMsgHdr cmsg = Unsafe.ReadUnaligned<CMsgHdr>(cursor);
            if (cmsg.Length < CmsgHeaderSize || cmsg.Length > (nuint)(end - cursor)) return null;
            if (cmsg.Level == level && cmsg.Type == type && (int)cmsg.Length - CmsgHeaderSize >= minimumDataLength)
                return cursor + CmsgHeaderSize;
            cursor += CmsgAlign((int)cmsg.Length);
        }

        return null;
    }

    /// <summary>Resets the fields the kernel overwrites, so the first <paramref name="count"/> slots can receive again.</summary>
    internal void PrepareReceive(int count)
    {
        for (int i = 0; i < count; i++)
        {
            MMsgHdr* m = &_headers[i];
            m->Header.NameLength = (uint)sizeof(SockAddrIn6);
            m->Header.ControlLength = ControlSize;
            m->Header.Flags = 0;
            m->Length = 0;
            _iovecs[i].Length = (nuint)SlotSize;
        }
    }

    internal static int WriteSockAddr(IPEndPoint endPoint, Span<byte> destination)
    {
        destination.Clear();
        IPAddress address = endPoint.Address;
        ushort port = BinaryPrimitives.ReverseEndianness((ushort)endPoint.Port);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            fixed (byte* d = destination)
            {
                var sin = (SockAddrIn*)d;
                sin->Family = AF_INET;
                sin->Port = port;
                address.TryWriteBytes(new Span<byte>(&sin->Address, 4), out _);
            }

            return sizeof(SockAddrIn);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            fixed (byte* d = destination)
            {
                var sin6 = (SockAddrIn6*)d;
                sin6->Family = AF_INET6;
                sin6->Port = port;
                address.TryWriteBytes(new Span<byte>(sin6->Address, 16), out _);
                sin6->ScopeId = (uint)address.ScopeId;
            }

            return sizeof(SockAddrIn6);
        }

        throw new ArgumentException($"Only IPv4 and IPv6 endpoints are supported, not {address.AddressFamily}.", nameof(endPoint));
    }

    internal static IPEndPoint? ReadSockAddr(byte* name, int length)
    {
        if (length >= sizeof(SockAddrIn) && ((SockAddrIn*)name)->Family == AF_INET)
        {
            var sin = (SockAddrIn*)name;
            return new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(&sin->Address, 4)), BinaryPrimitives.ReverseEndianness(sin->Port));
        }

        if (length >= sizeof(SockAddrIn6) && ((SockAddrIn6*)name)->Family == AF_INET6)
        {
            var sin6 = (SockAddrIn6*)name;
            var address = new IPAddress(new ReadOnlySpan<byte>(sin6->Address, 16), sin6->ScopeId);
            return new IPEndPoint(address, BinaryPrimitives.ReverseEndianness(sin6->Port));
        }

        return null;
    }

    public void Dispose() => _memory.Dispose();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Capacity) ThrowSlot(slot);
    }

    private static void ThrowSlot(int slot) => throw new ArgumentOutOfRangeException(nameof(slot), slot, "No such slot in this batch.");

    private static void ThrowLength() => throw new ArgumentOutOfRangeException("length", "A datagram cannot be longer than the slot.");

    private static nuint Align(nuint size) => (size + SafeNativeMemory.Alignment - 1) & ~(nuint)(SafeNativeMemory.Alignment - 1);
}
