using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`serve --user`: bind as root, then serve as another user with no capabilities; refuse to serve as root unless told.</summary>
public sealed class PrivilegeDropTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly string _keyFile;

    public PrivilegeDropTests()
    {
        _keyFile = Path.Combine(_pki.Directory, "fleet.key");
        (int exit, string output) = TestEnvironment.RunFastNtp(["keygen", "--out", _keyFile]);
        Assert.True(exit == 0, output);
    }

    public void Dispose() => _pki.Dispose();

    private static bool RunningAsRoot => File.ReadAllLines("/proc/self/status").Contains("Uid:\t0\t0\t0\t0");

    /// <summary>A line of /proc/PID/status without its label, e.g. "65534\t65534\t65534\t65534" for Uid.</summary>
    private static string Status(int pid, string field) =>
        File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim();

    [Fact]
    public void ServeWithUser_BindsAsRootThenServesNtpAndNtsKeAsThatUserWithNoCapabilities()
    {
        Assert.True(RunningAsRoot, "the privilege-drop tests run as root (scripts/test.sh does)");
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        int metricsPort = Ports.FreeTcpPort();
        // The key files are root's, mode 0600: read before the drop, never again after it.
        using ExternalProcess server = TestEnvironment.StartServer(
            "--listen", $"127.0.0.1:{ntpPort}", "--local-stratum", "1", "--user", "nobody", "--metrics-listen", $"127.0.0.1:{metricsPort}",
            "--nts-ke-listen", $"127.0.0.1:{kePort}", "--cert", _pki.ServerCert, "--key", _pki.ServerKey, "--nts-key-file", _keyFile);

        Assert.Contains("Serving as user nobody (uid 65534, gid 65534); capabilities kept: none", server.Output, StringComparison.Ordinal);
        Assert.Equal("65534\t65534\t65534\t65534", Status(server.Id, "Uid"));
        Assert.Equal("65534\t65534\t65534\t65534", Status(server.Id, "Gid"));
        Assert.Equal("", Status(server.Id, "Groups"));
        // Every thread, not only the main one: glibc's setuid changes them all.
        foreach (string task in Directory.GetDirectories($"/proc/{server.Id}/task"))
        {
            string[] status = File.ReadAllLines(Path.Combine(task, "status"));
            Assert.Contains("Uid:\t65534\t65534\t65534\t65534", status);
            Assert.Contains("CapEff:\t0000000000000000", status);
            Assert.Contains("CapPrm:\t0000000000000000", status);
        }

        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{ntpPort}"]);
        Assert.True(exit == 0, output + server.Output);
        (exit, output) = TestEnvironment.RunFastNtp(["query", "127.0.0.1", "--nts", "--ntske-port", $"{kePort}", "--ca", _pki.CaCert]);
        Assert.True(exit == 0, output + server.Output);
        (exit, output) = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void ServeAsRootWithoutUser_RefusesToStartUnlessAllowRootIsSet()
    {
        Assert.True(RunningAsRoot, "the privilege-drop tests run as root (scripts/test.sh does)");

        (int exit, string output) = TestEnvironment.RunFastNtp(
            ["serve", "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--local-stratum", "1"],
            new Dictionary<string, string> { [TestEnvironment.AllowRootVariable] = "false" });

        Assert.Equal(2, exit);
        Assert.Equal(
            "fastntp: --user: started as root; name the user to serve as (--user NAME or Server:User), or set Server:AllowRoot to keep serving as root",
            output.Trim());
    }

    [Fact]
    public void ServeWithAnUnknownUser_RefusesBeforeBinding()
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(
            ["serve", "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--local-stratum", "1", "--user", "no-such-user-here"]);

        Assert.Equal(2, exit);
        Assert.Equal("fastntp: --user: there is no user 'no-such-user-here'", output.Trim());
    }
}
