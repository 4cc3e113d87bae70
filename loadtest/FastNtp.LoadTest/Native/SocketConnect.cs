using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.LoadTest.Native;

/// <summary>
/// Connects a client socket to the target. A connected UDP socket sends with msg_name empty, so the kernel
/// reuses its cached route instead of looking one up for every datagram, and it drops datagrams from any
/// other source before they reach the generator.
/// </summary>
internal static unsafe class SocketConnect
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;

    /// <summary>Writes a sockaddr_in or sockaddr_in6 for <paramref name="endPoint"/>; its length.</summary>
    public static int WriteSockAddr(IPEndPoint endPoint, Span<byte> destination)
    {
        destination[..28].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet);
            endPoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet6);
        endPoint.Address.TryWriteBytes(destination[8..24], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)endPoint.Address.ScopeId);
        return 28;
    }

    public static void Connect(UdpBatchSocket socket, IPEndPoint target)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("sockaddr families are written little-endian.");
        byte* name = stackalloc byte[32];
        int length = WriteSockAddr(target, new Span<byte>(name, 32));
        if (Libc.Connect(socket.Handle, name, (uint)length) != 0)
            throw new IOException($"connect({target}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
