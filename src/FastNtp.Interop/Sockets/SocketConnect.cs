using System.Net;
using System.Net.Sockets;

namespace FastNtp.Interop.Sockets;

/// <summary>connect(2) for <see cref="UdpBatchSocket"/>: what a client (the load generator) needs and a server does not.</summary>
public static unsafe class SocketConnect
{
    /// <summary>
    /// Connects a UDP socket to <paramref name="target"/>. A connected socket sends with no destination in its
    /// slots (the kernel reuses its cached route instead of looking one up per datagram) and drops datagrams
    /// from any other source before they are queued. An IPv4 target of an IPv6 socket is used IPv4-mapped.
    /// </summary>
    /// <exception cref="NativeSocketException">connect failed (for example EADDRNOTAVAIL, ENETUNREACH).</exception>
    public static void Connect(this UdpBatchSocket socket, IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(target);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && target.AddressFamily == AddressFamily.InterNetwork)
            target = new IPEndPoint(target.Address.MapToIPv6(), target.Port);
        byte* name = stackalloc byte[PacketBatch.NameSize];
        int length = PacketBatch.WriteSockAddr(target, new Span<byte>(name, PacketBatch.NameSize));
        if (Interop.Libc.Connect(socket.Handle, name, (uint)length) != 0)
        {
            // errno first: building the message may make native calls of its own.
            Errno error = NativeSocketException.LastErrno();
            throw new NativeSocketException($"connect({target})", error);
        }
    }
}
