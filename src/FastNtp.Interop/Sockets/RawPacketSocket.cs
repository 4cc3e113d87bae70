using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static FastNtp.Interop.Sockets.LinuxConstants;
using static FastNtp.Interop.Sockets.PacketConstants;

namespace FastNtp.Interop.Sockets;

/// <summary>
/// An AF_PACKET raw socket bound to one interface: whole Ethernet frames out with sendmmsg, straight to the
/// driver (PACKET_QDISC_BYPASS), and every frame the interface receives in with recvmmsg, with the kernel's
/// word on whether its checksum is filled in (PACKET_AUXDATA). Frames it sends itself are not looped back to
/// it (PACKET_IGNORE_OUTGOING). Needs CAP_NET_RAW. Set-up throws <see cref="NativeSocketException"/>; the batch
/// calls return -1 with the errno instead.
/// </summary>
public sealed unsafe class RawPacketSocket : IDisposable
{
    private readonly SafeFileDescriptor _fd;

    private RawPacketSocket(SafeFileDescriptor fd, int interfaceIndex)
    {
        _fd = fd;
        InterfaceIndex = interfaceIndex;
    }

    public int InterfaceIndex { get; }

    public SafeFileDescriptor Handle => _fd;

    /// <summary>Opens a non-blocking packet socket on <paramref name="interfaceName"/> with the given buffer sizes (forced past the system limits).</summary>
    public static RawPacketSocket Open(string interfaceName, int bufferBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        if (!UdpBatchSocket.IsSupported) throw new PlatformNotSupportedException("RawPacketSocket needs Linux on x86-64 or arm64.");
        int index = (int)Interop.Libc.IfNameToIndex(interfaceName);
        if (index == 0) throw new NativeSocketException($"if_nametoindex({interfaceName})", NativeSocketException.LastErrno());

        ushort protocol = BinaryPrimitives.ReverseEndianness(ETH_P_ALL);
        int fd = Interop.Libc.Socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0) throw NativeSocketException.FromLastError("socket(AF_PACKET)");
        var socket = new RawPacketSocket(new SafeFileDescriptor(fd), index);
        try
        {
            socket.SetInt(SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            socket.SetInt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            socket.SetInt(SOL_PACKET, PACKET_AUXDATA, 1, "PACKET_AUXDATA");
            if (bufferBytes > 0)
            {
                socket.SetInt(SOL_SOCKET, SO_RCVBUFFORCE, bufferBytes, "SO_RCVBUFFORCE");
                socket.SetInt(SOL_SOCKET, SO_SNDBUFFORCE, bufferBytes, "SO_SNDBUFFORCE");
            }

            var address = new SockAddrLl { Family = AF_PACKET, Protocol = protocol, InterfaceIndex = index };
            if (Interop.Libc.Bind(socket._fd, (byte*)&address, (uint)sizeof(SockAddrLl)) != 0)
                throw new NativeSocketException($"bind({interfaceName})", NativeSocketException.LastErrno());
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends the frames in slots [0, <paramref name="count"/>) (lengths set with <see cref="PacketBatch.SetLength"/>, no
    /// destinations) however many sendmmsg calls it takes; stops at the first error, counting the rest as failed.
    /// </summary>
    public int Send(PacketBatch batch, int count, out int failed, out Errno lastError)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        int next = 0;
        lastError = Errno.None;
        while (next < count)
        {
            int n = Interop.Libc.SendMmsg(_fd, batch.Headers + next, (uint)(count - next), 0);
            if (n <= 0)
            {
                lastError = n < 0 ? NativeSocketException.LastErrno() : Errno.None;
                if (lastError == Errno.EINTR) continue;
                break;
            }

            next += n;
        }

        failed = count - next;
        return next;
    }

    /// <summary>Takes up to <paramref name="maxCount"/> queued frames without waiting; 0 when none is queued, -1 on another error.</summary>
    public int Receive(PacketBatch batch, int maxCount, out Errno error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCount, batch.Capacity);
        batch.PrepareReceive(maxCount);
        int n = Interop.Libc.RecvMmsg(_fd, batch.Headers, (uint)maxCount, MSG_DONTWAIT, null);
        if (n >= 0)
        {
            error = Errno.None;
            return n;
        }

        error = NativeSocketException.LastErrno();
        return error is Errno.EAGAIN or Errno.EINTR ? 0 : -1;
    }

    /// <summary>True when the kernel says a received frame's checksums are not filled in yet (offload pending), so they cannot be checked.</summary>
    public static bool IsChecksumPending(PacketBatch batch, int slot)
    {
        ArgumentNullException.ThrowIfNull(batch);
        byte* aux = PacketBatch.FindControlMessage(&batch.Headers[slot].Header, SOL_PACKET, PACKET_AUXDATA, sizeof(TPacketAuxData));
        return aux != null && (Unsafe.ReadUnaligned<TPacketAuxData>(aux).Status & TP_STATUS_CSUMNOTREADY) != 0;
    }

    private void SetInt(int level, int name, int value, string what)
    {
        if (Interop.Libc.SetSockOpt(_fd, level, name, &value, sizeof(int)) != 0) throw NativeSocketException.FromLastError($"setsockopt({what})");
    }

    public void Dispose() => _fd.Dispose();
}
