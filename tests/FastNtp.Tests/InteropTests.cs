using System.Text.RegularExpressions;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>FastNtp against real NTP implementations from Debian: chrony 4.3 and NTPsec's ntpdig.</summary>
public sealed partial class InteropTests
{
    [Fact]
    public void Chrony_AcceptsFastNtpAsAServer()
    {
        Chronyd.RequireInstalled();
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--local-stratum", "1");

        (int exit, string output) = Chronyd.Query([$"server 127.0.0.1 port {port} iburst maxsamples 4"], timeLimitSeconds: 20);

        Assert.True(exit == 0, output);
        double? offset = Chronyd.MeasuredOffset(output);
        Assert.True(offset is not null, output);
        Assert.InRange(Math.Abs(offset.Value), 0, 0.05);
    }

    [Fact]
    public void Query_ReadsChronydAsAServer()
    {
        int port = Ports.FreeUdpPort();
        using ChronydServer chrony = Chronyd.StartServer(port, "local stratum 1");

        (int exit, string output) = TestEnvironment.QueryUntilAnswered(port, attempts: 20);
        Assert.True(exit == 0, output + "\n" + chrony.Output);
        // chrony's local reference is 127.127.1.1, not printable ASCII, so it shows as an address.
        Assert.Contains("stratum 1 refid 127.127.1.1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Ntpdig_AcceptsFastNtpOnPort123InItsOwnNetworkNamespace()
    {
        string ntpdig = ExternalProcess.RequireProgram("ntpdig", "ntpsec-ntpdig");
        string ip = ExternalProcess.RequireProgram("ip", "iproute2");
        string ns = $"fastntp-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
        Assert.True(ExternalProcess.Run(ip, ["netns", "add", ns], TimeSpan.FromSeconds(10)).ExitCode == 0, "ip netns add needs root");
        try
        {
            Assert.Equal(0, ExternalProcess.Run(ip, ["netns", "exec", ns, "ip", "link", "set", "lo", "up"], TimeSpan.FromSeconds(10)).ExitCode);
            using var server = ExternalProcess.Start(ip,
                ["netns", "exec", ns, "dotnet", TestEnvironment.FastNtpDll, "serve", "--listen", "127.0.0.1:123", "--local-stratum", "2"]);
            Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

            (int exit, string output) = ExternalProcess.Run(ip, ["netns", "exec", ns, ntpdig, "-t", "3", "127.0.0.1"], TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, output);
            // ntpdig prints: date time (+offset) +/- error 127.0.0.1 s2 no-leap
            Assert.Matches(NtpdigLine(), output);
        }
        finally
        {
            ExternalProcess.Run(ip, ["netns", "del", ns], TimeSpan.FromSeconds(10));
        }
    }

    [GeneratedRegex(@"[+-][0-9.]+ \+/- [0-9.]+ 127\.0\.0\.1 s2 no-leap")]
    private static partial Regex NtpdigLine();
}
