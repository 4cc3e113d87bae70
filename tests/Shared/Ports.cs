using System.Net;
using System.Net.Sockets;

namespace FastNtp.Tests.Shared;

/// <summary>Loopback ports for servers a test starts. Free "a moment ago": another process may still take one first.</summary>
public static class Ports
{
    /// <summary>A UDP port free on both 127.0.0.1 and ::1, so a server may listen on either or both.</summary>
    public static int FreeUdpPort()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            v4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            try
            {
                using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
                v6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken on ::1; try another.
            }
        }

        throw new InvalidOperationException("no UDP port is free on both 127.0.0.1 and ::1");
    }

    /// <summary>A TCP port free on 127.0.0.1.</summary>
    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
