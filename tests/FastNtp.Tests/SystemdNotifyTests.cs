using System.Net.Sockets;
using System.Text;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp serve` under a fake systemd: the notify protocol on a socket of the test's own.</summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public void Serve_SendsReadyStatusWatchdogAndStoppingOnTheNotifySocket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastntp-notify-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.ReceiveTimeout = 20_000;
        try
        {
            int port = Ports.FreeUdpPort();
            using ExternalProcess server = TestEnvironment.StartFastNtp(
                ["serve", "--listen", $"127.0.0.1:{port}", "--local-stratum", "2", "--workers", "2"],
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path, ["WATCHDOG_USEC"] = "1000000" });

            // The first status line, then the host's READY=1 once every hosted service has started.
            Assert.Equal("STATUS=synchronized, stratum 2, 0 requests/s", Receive(listener));
            Assert.Equal("READY=1", Receive(listener));
            // Ready means bound: a query answers at once.
            Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);

            // Idle workers still turn their loops, so heartbeats keep coming at half the watchdog interval.
            int heartbeats = 0;
            for (int i = 0; i < 10 && heartbeats < 3; i++)
            {
                string message = Receive(listener);
                Assert.Contains("STATUS=synchronized, stratum 2", message, StringComparison.Ordinal);
                if (message.Contains("WATCHDOG=1", StringComparison.Ordinal)) heartbeats++;
            }

            Assert.Equal(3, heartbeats);

            server.Signal("TERM");
            bool stopping = false;
            for (int i = 0; i < 10 && !stopping; i++) stopping = Receive(listener).Contains("STOPPING=1", StringComparison.Ordinal);
            Assert.True(stopping, server.Output);
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
            Assert.Equal(0, server.ExitCode);
            // Logs in journald's form: a syslog priority prefix, no timestamp of our own (<6> is informational).
            Assert.Contains("<6>FastNtp.Server", server.Output, StringComparison.Ordinal);
            Assert.Single(server.Output.Split('\n'), l => l.StartsWith("fastntp: stopped;", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ServeWithoutAWatchdog_SendsReadyButNoHeartbeat()
    {
        string name = $"fastntp-notify-{Guid.NewGuid():N}";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name)); // an abstract socket, written @name in NOTIFY_SOCKET
        listener.ReceiveTimeout = 20_000;
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartFastNtp(
            ["serve", "--listen", $"127.0.0.1:{port}"], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "@" + name });

        Assert.Equal("STATUS=unsynchronized, stratum 16, 0 requests/s", Receive(listener));
        Assert.Equal("READY=1", Receive(listener));
        server.Signal("TERM");
        string message = Receive(listener);
        if (message.StartsWith("STATUS=", StringComparison.Ordinal)) message = Receive(listener); // a status refresh may come first
        Assert.Equal("STOPPING=1", message);
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Equal(0, server.ExitCode);
    }

    private static string Receive(Socket listener)
    {
        byte[] buffer = new byte[4096];
        int length = listener.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
