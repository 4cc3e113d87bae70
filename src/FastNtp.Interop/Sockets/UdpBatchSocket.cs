using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastNtp.Interop.Timestamping;
using static FastNtp.Interop.Sockets.LinuxConstants;

namespace FastNtp.Interop.Sockets;

/// <summary>How <see cref="UdpBatchSocket.Receive"/> waits.</summary>
public enum ReceiveWait
{
    /// <summary>Block until one datagram is there (or the receive timeout passes), then take what else is queued.</summary>
    WaitForOne,
    /// <summary>Take what is queued and return at once; none queued is EAGAIN.</summary>
    NoWait,
}

/// <summary>How a server socket takes its place in the SO_REUSEPORT group of its address.</summary>
public enum ServerSocketRole
{
    /// <summary>Joins the group the server's first socket opened.</summary>
    JoinsGroup,
    /// <summary>
    /// The server's first socket: binds without SO_REUSEPORT, so the bind fails when any other socket (another
    /// server) already holds the address, and only then opens the group to the server's own workers.
    /// </summary>
    FirstOfGroup,
}

/// <summary>
/// A Linux UDP socket moving datagrams in batches with recvmmsg/sendmmsg. Set-up calls (create, options,
/// bind) throw <see cref="NativeSocketException"/>; the batch calls never throw on network errors, they
/// return -1 with the errno so a loop can count it and carry on. Usable by a server (reply from the address
/// a request came to) and by a client (send to set destinations, read replies and their kernel timestamps).
/// </summary>
public sealed unsafe class UdpBatchSocket : IDisposable
{
    private readonly SafeFileDescriptor _fd;

    private UdpBatchSocket(SafeFileDescriptor fd, AddressFamily family)
    {
        _fd = fd;
        AddressFamily = family;
    }

    /// <summary>recvmmsg, sendmmsg and the socket options used here exist on Linux; the struct layouts are LP64 ones.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public AddressFamily AddressFamily { get; }

    public SafeFileDescriptor Handle => _fd;

    /// <summary>A blocking, close-on-exec UDP socket of the given family.</summary>
    public static UdpBatchSocket Create(AddressFamily family)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("UdpBatchSocket needs Linux on x86-64 or arm64.");
        int domain = family switch
        {
            AddressFamily.InterNetwork => AF_INET,
            AddressFamily.InterNetworkV6 => AF_INET6,
            _ => throw new ArgumentException($"Only IPv4 and IPv6 are supported, not {family}.", nameof(family)),
        };
        int fd = Interop.Libc.Socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd < 0) throw NativeSocketException.FromLastError("socket");
        return new UdpBatchSocket(new SafeFileDescriptor(fd), family);
    }

    /// <summary>
    /// A socket set up the way a server worker wants it: SO_REUSEPORT (so workers share the port), kernel
    /// receive timestamps, packet info on wildcard addresses, dual-stack on a wildcard IPv6 address, the given buffer sizes (forced
    /// past the system limit where permitted), a receive timeout so a blocked receive notices a stop, then bound.
    /// </summary>
    /// <param name="role">
    /// <see cref="ServerSocketRole.FirstOfGroup"/> for a server's first socket on an address, which throws
    /// <see cref="AddressInUseException"/> when another server already serves it (SO_REUSEPORT would otherwise
    /// let a second server silently take part of the traffic); the others join its group.
    /// </param>
    public static UdpBatchSocket OpenServer(
        IPEndPoint endPoint, int bufferBytes, TimeSpan receiveTimeout, ServerSocketRole role = ServerSocketRole.JoinsGroup)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        UdpBatchSocket socket = Create(endPoint.AddressFamily);
        try
        {
            bool first = role == ServerSocketRole.FirstOfGroup;
            // The kernel checks SO_REUSEPORT of both sockets at bind time: the first socket binds without it, so
            // a bind conflicts with any holder, and turns it on afterwards so its own workers can join.
            socket.SetReusePort(!first);
            bool wildcard = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && wildcard) socket.SetDualStack(true);
            socket.EnableReceiveTimestamps();
            // Only a wildcard socket needs each request's local address to answer from it; a socket bound to one
            // address answers from that address anyway, and skips the per-packet control messages.
            if (wildcard) socket.EnablePacketInfo();
            if (bufferBytes > 0)
            {
                socket.SetReceiveBufferSize(bufferBytes, force: true);
                socket.SetSendBufferSize(bufferBytes, force: true);
            }

            if (receiveTimeout > TimeSpan.Zero) socket.SetReceiveTimeout(receiveTimeout);
            try
            {
                socket.Bind(endPoint);
            }
            catch (NativeSocketException e) when (first && e.Errno == Errno.EADDRINUSE)
            {
                throw new AddressInUseException(endPoint, e);
            }

            if (first) socket.SetReusePort(true);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Bind(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        byte* name = stackalloc byte[PacketBatch.NameSize];
        int length = PacketBatch.WriteSockAddr(MapForFamily(endPoint), new Span<byte>(name, PacketBatch.NameSize));
        if (Interop.Libc.Bind(_fd, name, (uint)length) != 0)
        {
            // Read errno before formatting the message: formatting may make native calls of its own.
            Errno error = NativeSocketException.LastErrno();
            throw new NativeSocketException($"bind({endPoint})", error);
        }
    }

    /// <summary>The bound address and port (useful after binding port 0).</summary>
    public IPEndPoint LocalEndPoint
    {
        get
        {
            byte* name = stackalloc byte[PacketBatch.NameSize];
            uint length = PacketBatch.NameSize;
            if (Interop.Libc.GetSockName(_fd, name, &length) != 0) throw NativeSocketException.FromLastError("getsockname");
            return PacketBatch.ReadSockAddr(name, (int)length) ?? throw new InvalidOperationException("The socket has no IP address.");
        }
    }

    public void SetReusePort(bool enabled) => SetInt(SOL_SOCKET, SO_REUSEPORT, enabled ? 1 : 0, "SO_REUSEPORT");

    /// <summary>On an IPv6 socket, also receive IPv4 (as IPv4-mapped addresses): IPV6_V6ONLY off.</summary>
    public void SetDualStack(bool enabled)
    {
        if (AddressFamily != AddressFamily.InterNetworkV6) throw new InvalidOperationException("Dual stack applies to IPv6 sockets.");
        SetInt(SOL_IPV6, IPV6_V6ONLY, enabled ? 0 : 1, "IPV6_V6ONLY");
    }

    /// <summary>The SO_TIMESTAMPING flags in force on this socket.</summary>
    public TimestampingFlags Timestamping { get; private set; }

    /// <summary>Kernel software receive timestamps (SO_TIMESTAMPING), read back with <see cref="PacketBatch.TryGetKernelTimestamp"/>.</summary>
    public void EnableReceiveTimestamps() =>
        SetTimestamping(Timestamping | TimestampingFlags.RxSoftware | TimestampingFlags.Software);

    /// <summary>
    /// Kernel software transmit timestamps as well: each datagram sent queues a stamp of when it left on the
    /// error queue (<see cref="ReceiveErrors"/>), tagged with the count of datagrams sent before it since this
    /// call or the last <see cref="RestartTransmitKeys"/> (OPT_ID), without a copy of the datagram (OPT_TSONLY).
    /// </summary>
    public void EnableTransmitTimestamps() =>
        SetTimestamping(Timestamping | TimestampingFlags.TxSoftware | TimestampingFlags.Software
            | TimestampingFlags.OptId | TimestampingFlags.OptTimestampOnly);

    /// <summary>
    /// The NIC's stamps as well, where its hardware timestamping is on (SIOCSHWTSTAMP): received datagrams carry
    /// the NIC's stamp and the stamping interface (<see cref="PacketBatch.TryGetHardwareTimestamp"/>), and with
    /// <paramref name="transmit"/> (only with <see cref="EnableTransmitTimestamps"/>: nobody else reads the error
    /// queue) sent ones queue the NIC's stamp instead of the software one when the NIC took it.
    /// </summary>
    public void EnableHardwareTimestamps(bool transmit) =>
        SetTimestamping(Timestamping | TimestampingFlags.RxHardware | TimestampingFlags.RawHardware | TimestampingFlags.OptPacketInfo
            | (transmit ? TimestampingFlags.TxHardware : TimestampingFlags.None));

    /// <summary>
    /// Restarts the OPT_ID count at 0 (the kernel resets it when OPT_ID is turned on), for a sender that no
    /// longer knows which keys its datagrams got, as after a datagram the kernel refused.
    /// </summary>
    public void RestartTransmitKeys()
    {
        TimestampingFlags flags = Timestamping;
        if ((flags & TimestampingFlags.OptId) == 0) throw new InvalidOperationException("Transmit timestamps are off.");
        SetTimestamping(flags & ~TimestampingFlags.OptId);
        SetTimestamping(flags);
    }

    /// <summary>Sets SO_TIMESTAMPING to exactly <paramref name="flags"/>.</summary>
    public void SetTimestamping(TimestampingFlags flags)
    {
        SetInt(SOL_SOCKET, SO_TIMESTAMPING, (int)flags, "SO_TIMESTAMPING");
        Timestamping = flags;
    }

    /// <summary>
    /// The local address of each datagram (IP_PKTINFO; on IPv6 sockets IPV6_RECVPKTINFO, which also covers
    /// IPv4-mapped traffic), so <see cref="PacketBatch.PrepareReply"/> can answer from that address.
    /// </summary>
    public void EnablePacketInfo()
    {
        if (AddressFamily == AddressFamily.InterNetwork) SetInt(SOL_IP, IP_PKTINFO, 1, "IP_PKTINFO");
        else SetInt(SOL_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    }

    /// <summary>
    /// Makes the SO_REUSEPORT group this bound socket belongs to send every datagram from one client to one
    /// socket: a hash of the IPv4 source address, or of the first <paramref name="ipv6PrefixLength"/> bits of
    /// the IPv6 one, modulo <paramref name="groupSize"/> (the group's sockets in the order they were bound).
    /// Call once, on any member, after all <paramref name="groupSize"/> sockets are bound.
    /// </summary>
    public void SteerBySourceAddress(int groupSize, int ipv6PrefixLength)
    {
        Interop.Libc.SockFilter[] program = ReusePortSteering.Build(groupSize, ipv6PrefixLength);
        fixed (Interop.Libc.SockFilter* filter = program)
        {
            var fprog = new Interop.Libc.SockFprog { Length = (ushort)program.Length, Filter = filter };
            if (Interop.Libc.SetSockOpt(_fd, SOL_SOCKET, Interop.Libc.SO_ATTACH_REUSEPORT_CBPF, &fprog, (uint)sizeof(Interop.Libc.SockFprog)) != 0)
                throw NativeSocketException.FromLastError("setsockopt(SO_ATTACH_REUSEPORT_CBPF)");
        }
    }

    /// <summary>
    /// Asks for a receive buffer of <paramref name="bytes"/>. With <paramref name="force"/> it first tries
    /// SO_RCVBUFFORCE (needs CAP_NET_ADMIN, ignores net.core.rmem_max) and falls back to SO_RCVBUF when not
    /// permitted. Returns the size the kernel reports (it doubles the request for bookkeeping).
    /// </summary>
    public int SetReceiveBufferSize(int bytes, bool force) => SetBuffer(SO_RCVBUF, SO_RCVBUFFORCE, bytes, force, "SO_RCVBUF");

    /// <summary>As <see cref="SetReceiveBufferSize"/>, for SO_SNDBUF / SO_SNDBUFFORCE.</summary>
    public int SetSendBufferSize(int bytes, bool force) => SetBuffer(SO_SNDBUF, SO_SNDBUFFORCE, bytes, force, "SO_SNDBUF");

    public int ReceiveBufferSize => GetInt(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");

    /// <summary>Bounds how long a blocking receive waits (SO_RCVTIMEO); it then fails with EAGAIN. Zero waits forever.</summary>
    public void SetReceiveTimeout(TimeSpan timeout) => SetTimeout(SO_RCVTIMEO, timeout, "SO_RCVTIMEO");

    /// <summary>Bounds how long a send blocks on a full send buffer (SO_SNDTIMEO). Zero waits forever.</summary>
    public void SetSendTimeout(TimeSpan timeout) => SetTimeout(SO_SNDTIMEO, timeout, "SO_SNDTIMEO");

    /// <summary>
    /// One recvmmsg into slots [0, <paramref name="maxCount"/>). Returns the number of datagrams, or -1 with <paramref name="error"/> set (EAGAIN on timeout or nothing
    /// queued, EINTR, or an error the kernel queued for this socket). Never throws for network conditions.
    /// </summary>
    public int Receive(PacketBatch batch, int maxCount, ReceiveWait wait, out Errno error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)(maxCount - 1) >= (uint)batch.Capacity) ThrowCount();
        batch.PrepareReceive(maxCount);
        int flags = wait == ReceiveWait.WaitForOne ? MSG_WAITFORONE : MSG_DONTWAIT;
        int received = Interop.Libc.RecvMmsg(_fd, batch.Headers, (uint)maxCount, flags, null);
        error = received < 0 ? NativeSocketException.LastErrno() : Errno.None;
        return received;
    }

    /// <summary>
    /// One non-blocking recvmmsg from the error queue (MSG_ERRQUEUE) into slots [0, <paramref name="maxCount"/>):
    /// transmit stamps (<see cref="PacketBatch.TryGetKernelTimestamp"/>, <see cref="PacketBatch.TryGetTimestampKey"/>)
    /// and queued ICMP errors. Returns the number read, or -1 with <paramref name="error"/> (EAGAIN when empty).
    /// </summary>
    public int ReceiveErrors(PacketBatch batch, int maxCount, out Errno error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)(maxCount - 1) >= (uint)batch.Capacity) ThrowCount();
        batch.PrepareReceive(maxCount);
        int received = Interop.Libc.RecvMmsg(_fd, batch.Headers, (uint)maxCount, MSG_ERRQUEUE | MSG_DONTWAIT, null);
        error = received < 0 ? NativeSocketException.LastErrno() : Errno.None;
        return received;
    }

    /// <summary>
    /// One sendmmsg of slots [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).
    /// Returns how many the kernel took (it stops at the first failure after the first message), or -1 with
    /// <paramref name="error"/> when the first one failed.
    /// </summary>
    public int Send(PacketBatch batch, int start, int count, out Errno error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)start > (uint)batch.Capacity || (uint)count > (uint)(batch.Capacity - start)) ThrowCount();
        if (count == 0)
        {
            error = Errno.None;
            return 0;
        }

        int sent = Interop.Libc.SendMmsg(_fd, batch.Headers + start, (uint)count, 0);
        error = sent < 0 ? NativeSocketException.LastErrno() : Errno.None;
        return sent;
    }

    /// <summary>
    /// Sends slots [0, <paramref name="count"/>) however many sendmmsg calls it takes: a partial send resumes
    /// where the kernel stopped, EINTR retries (a few times), and a datagram the kernel refuses (ENOBUFS,
    /// EAGAIN with a send timeout, a queued ICMP error, ...) is skipped and counted in <paramref name="failed"/>.
    /// Returns the number sent; <paramref name="lastError"/> is the last errno seen. When <paramref name="sent"/>
    /// is given (at least <paramref name="count"/> long), it says for each slot whether the kernel took it.
    /// </summary>
    public int SendAll(PacketBatch batch, int count, out int failed, out Errno lastError, Span<bool> sent = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((uint)count > (uint)batch.Capacity || (!sent.IsEmpty && sent.Length < count)) ThrowCount();
        bool mark = !sent.IsEmpty;
        int next = 0, total = 0, interrupts = 0;
        failed = 0;
        lastError = Errno.None;
        while (next < count)
        {
            int n = Interop.Libc.SendMmsg(_fd, batch.Headers + next, (uint)(count - next), 0);
            if (n > 0)
            {
                if (mark) sent.Slice(next, n).Fill(true);
                next += n;
                total += n;
                interrupts = 0;
                continue;
            }

            lastError = n < 0 ? NativeSocketException.LastErrno() : Errno.EAGAIN;
            if (lastError == Errno.EINTR && ++interrupts <= 3) continue;
            // The datagram at `next` failed; drop it and go on with the rest.
            if (mark) sent[next] = false;
            failed++;
            next++;
            interrupts = 0;
        }

        return total;
    }

    /// <summary>
    /// Wakes a thread blocked in <see cref="Receive"/> at once. From then on receives return without waiting,
    /// with zero datagrams or with empty ones (end-of-file entries), so the caller checks its own stop flag.
    /// </summary>
    // Linux answers ENOTCONN for an unconnected UDP socket but still marks it shut and wakes waiters.
    public void ShutdownReceive() => _ = Interop.Libc.Shutdown(_fd, SHUT_RD);

    public void Dispose() => _fd.Dispose();

    private IPEndPoint MapForFamily(IPEndPoint endPoint) =>
        AddressFamily == AddressFamily.InterNetworkV6 && endPoint.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port)
            : endPoint;

    private int SetBuffer(int name, int forceName, int bytes, bool force, string option)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (force && TrySetInt(SOL_SOCKET, forceName, bytes)) return GetInt(SOL_SOCKET, name, option);
        // Without CAP_NET_ADMIN the kernel caps this at net.core.[rw]mem_max rather than failing.
        SetInt(SOL_SOCKET, name, bytes, option);
        return GetInt(SOL_SOCKET, name, option);
    }

    private void SetTimeout(int name, TimeSpan timeout, string option)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        long micros = timeout.Ticks / 10;
        var value = new TimeVal { Seconds = micros / 1_000_000, Microseconds = micros % 1_000_000 };
        if (Interop.Libc.SetSockOpt(_fd, SOL_SOCKET, name, &value, (uint)sizeof(TimeVal)) != 0)
            throw NativeSocketException.FromLastError($"setsockopt({option})");
    }

    private bool TrySetInt(int level, int name, int value) =>
        Interop.Libc.SetSockOpt(_fd, level, name, &value, sizeof(int)) == 0;

    private void SetInt(int level, int name, int value, string option)
    {
        if (!TrySetInt(level, name, value)) throw NativeSocketException.FromLastError($"setsockopt({option})");
    }

    private int GetInt(int level, int name, string option)
    {
        int value = 0;
        uint length = sizeof(int);
        if (Interop.Libc.GetSockOpt(_fd, level, name, &value, &length) != 0) throw NativeSocketException.FromLastError($"getsockopt({option})");
        return value;
    }

    private static void ThrowCount() => throw new ArgumentOutOfRangeException("count", "The range must lie within the batch.");
}
