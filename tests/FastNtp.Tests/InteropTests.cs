using System.Globalization;
using System.Text.RegularExpressions;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>FastNtp against real NTP implementations from Debian: chrony 4.3 and NTPsec's ntpdig.</summary>
public sealed partial class InteropTests
{
    [Fact]
    public void ChronyAcceptsFastNtpAsAServer()
    {
        string chronyd = TestEnvironment.RequireProgram("chronyd", "chrony");
        int port = TestEnvironment.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--local-stratum", "1");

        string pidFile = Path.Combine(Path.GetTempPath(), $"fastntp-chrony-{Guid.NewGuid():N}.pid");
        // -Q measures and prints the offset without touching the clock; -u root keeps it from dropping privileges.
        (int exit, string output) = ExternalProcess.Run(
            chronyd,
            ["-Q", "-u", "root", "-t", "20", "-f", "/dev/null", $"pidfile {pidFile}", $"server 127.0.0.1 port {port} iburst maxsamples 4"],
            TimeSpan.FromSeconds(40));

        Assert.True(exit == 0, output);
        Match offset = ChronyOffset().Match(output);
        Assert.True(offset.Success, output);
        Assert.InRange(Math.Abs(double.Parse(offset.Groups[1].Value, CultureInfo.InvariantCulture)), 0, 0.05);
    }

    [Fact]
    public void QueryReadsChronydAsAServer()
    {
        string chronyd = TestEnvironment.RequireProgram("chronyd", "chrony");
        int port = TestEnvironment.FreeUdpPort();
        string dir = Directory.CreateTempSubdirectory("fastntp-chronyd-").FullName;
        string conf = Path.Combine(dir, "chrony.conf");
        File.WriteAllLines(conf,
        [
            $"port {port}",
            "bindaddress 127.0.0.1",
            "local stratum 1",
            "allow 127.0.0.1",
            "cmdport 0",
            $"pidfile {dir}/chronyd.pid",
        ]);

        // -x: never touch the system clock.
        using ExternalProcess chrony = ExternalProcess.Start(chronyd, ["-x", "-d", "-u", "root", "-f", conf]);
        try
        {
            (int exit, string output) = (0, "");
            for (int attempt = 0; attempt < 20; attempt++)
            {
                (exit, output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}", "--timeout", "1"]);
                if (exit == 0) break;
                Thread.Sleep(500);
            }

            Assert.True(exit == 0, output + "\n" + chrony.Output);
            // chrony's local reference is 127.127.1.1, not printable ASCII, so it shows as an address.
            Assert.Contains("stratum 1 refid 127.127.1.1", output, StringComparison.Ordinal);
        }
        finally
        {
            chrony.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NtpdigAcceptsFastNtpOnPort123InItsOwnNetworkNamespace()
    {
        string ntpdig = TestEnvironment.RequireProgram("ntpdig", "ntpsec-ntpdig");
        string ip = TestEnvironment.RequireProgram("ip", "iproute2");
        string ns = $"fastntp-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
        Assert.True(ExternalProcess.Run(ip, ["netns", "add", ns], TimeSpan.FromSeconds(10)).ExitCode == 0, "ip netns add needs root");
        try
        {
            Assert.Equal(0, ExternalProcess.Run(ip, ["netns", "exec", ns, "ip", "link", "set", "lo", "up"], TimeSpan.FromSeconds(10)).ExitCode);
            using ExternalProcess server = ExternalProcess.Start(ip,
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

    [GeneratedRegex(@"System clock wrong by (-?[0-9.]+) seconds")]
    private static partial Regex ChronyOffset();

    [GeneratedRegex(@"[+-][0-9.]+ \+/- [0-9.]+ 127\.0\.0\.1 s2 no-leap")]
    private static partial Regex NtpdigLine();
}
