using System.Net;
using System.Net.Sockets;

namespace FastNtp.Tests.Support;

public static class TestEnvironment
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The fastntp assembly the test project builds beside itself.</summary>
    public static string FastNtpDll => Path.Combine(AppContext.BaseDirectory, "fastntp.dll");

    /// <summary>A UDP port that was free a moment ago on 127.0.0.1 and ::1.</summary>
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

        throw new InvalidOperationException("no free UDP port found");
    }

    /// <summary>A TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The full path of a program the test needs; fails the test with the install hint when absent.</summary>
    public static string RequireProgram(string name, string debianPackage)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }

        Assert.Fail($"{name} is not installed: run scripts/install-deps.sh as root (Debian package {debianPackage})");
        return "";
    }

    public static ExternalProcess StartFastNtp(IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        ExternalProcess.Start("dotnet", new[] { FastNtpDll }.Concat(arguments), environment);

    public static (int ExitCode, string Output) RunFastNtp(IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        ExternalProcess.Run("dotnet", new[] { FastNtpDll }.Concat(arguments), TimeSpan.FromSeconds(60), environment);

    /// <summary>Starts `fastntp serve` and waits until it reports it is serving.</summary>
    public static ExternalProcess StartServer(params string[] arguments)
    {
        ExternalProcess server = StartFastNtp(new[] { "serve" }.Concat(arguments));
        if (!server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), StartTimeout))
        {
            string output = server.Output;
            server.Dispose();
            Assert.Fail($"fastntp serve did not start: {output}");
        }

        return server;
    }
}
