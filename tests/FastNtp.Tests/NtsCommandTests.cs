using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>NTS end to end from the command: keygen, serve with NTS-KE, nts-ke, query --nts, and chrony as an NTS client.</summary>
public sealed class NtsCommandTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly string _keyFile;

    public NtsCommandTests()
    {
        _keyFile = Path.Combine(_pki.Directory, "fleet.key");
        (int exit, string output) = TestEnvironment.RunFastNtp(["keygen", "--out", _keyFile]);
        Assert.True(exit == 0, output);
    }

    public void Dispose() => _pki.Dispose();

    private ExternalProcess StartNtsServer(int ntpPort, int kePort, int? metricsPort = null)
    {
        var arguments = new List<string>
        {
            "--listen", $"127.0.0.1:{ntpPort}", "--local-stratum", "1",
            "--nts-ke-listen", $"127.0.0.1:{kePort}", "--cert", _pki.ServerCert, "--key", _pki.ServerKey, "--nts-key-file", _keyFile,
        };
        if (metricsPort is int m) arguments.AddRange(["--metrics-listen", $"127.0.0.1:{m}"]);
        return TestEnvironment.StartServer([.. arguments]);
    }

    [Fact]
    public void Keygen_WritesAPrivateSecretAndNeverOverwrites()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_keyFile));
        string before = File.ReadAllText(_keyFile);
        (int exit, string output) = TestEnvironment.RunFastNtp(["keygen", "--out", _keyFile]);
        Assert.Equal(2, exit);
        Assert.Contains("--out:", output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_keyFile));
    }

    [Fact]
    public void NtsKeAndQueryNts_WorkAgainstServe()
    {
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = StartNtsServer(ntpPort, kePort, metricsPort);

        (int exit, string output) = TestEnvironment.RunFastNtp(["nts-ke", $"127.0.0.1:{kePort}", "--ca", _pki.CaCert, "--json"]);
        Assert.True(exit == 0, output + server.Output);
        JsonElement ke = JsonDocument.Parse(output).RootElement;
        Assert.Equal(15, ke.GetProperty("aead").GetInt32());
        Assert.Equal(ntpPort, ke.GetProperty("port").GetInt32());
        Assert.Equal(8, ke.GetProperty("cookies").GetArrayLength());
        Assert.Equal(64, ke.GetProperty("c2s").GetString()!.Length);

        (exit, output) = TestEnvironment.RunFastNtp(
            ["query", $"127.0.0.1:{ntpPort}", "--nts", "--ntske-port", kePort.ToString(CultureInfo.InvariantCulture), "--ca", _pki.CaCert, "--count", "2"]);
        Assert.True(exit == 0, output + server.Output);
        Assert.Equal(2, Regex.Matches(output, "stratum 1 refid LOCL .* nts AesSivCmac256").Count);

        (exit, output) = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("nts: authenticated=2 naks=0 rejected=0", output, StringComparison.Ordinal);
        // Two NTS-KE exchanges (nts-ke, then query --nts), eight cookies each; the server counts an exchange once its
        // side of the connection has closed, which may trail the client a little.
        const string keLine = "nts-ke: active=0 handshakes=2 handshake-failures=0 keys-issued=2 cookies=16 refused-busy=0 over-limit=0";
        for (int attempt = 0; attempt < 20 && !output.Contains(keLine, StringComparison.Ordinal); attempt++)
        {
            Thread.Sleep(250);
            output = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]).Output;
        }

        Assert.Contains(keLine, output, StringComparison.Ordinal);
    }

    [Fact]
    public void NtsKeToAClosedPort_IsOneLineAndNoReply()
    {
        int kePort = Ports.FreeTcpPort();
        (int exit, string output) = TestEnvironment.RunFastNtp(["nts-ke", $"127.0.0.1:{kePort}"]);
        Assert.Equal(3, exit); // as `query` and `status` for a server that cannot be reached
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"fastntp: NTS-KE with 127.0.0.1:{kePort}: ", line, StringComparison.Ordinal);
        Assert.Single(line.Split("NTS-KE with"), p => p.Length > 0 && !p.StartsWith("fastntp", StringComparison.Ordinal));
    }

    [Fact]
    public void NtsKe_RefusesAServerItCannotVerify()
    {
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        using ExternalProcess server = StartNtsServer(ntpPort, kePort);
        // No --ca: the throwaway CA is not in the system store.
        (int exit, string output) = TestEnvironment.RunFastNtp(["nts-ke", $"127.0.0.1:{kePort}"]);
        Assert.Equal(5, exit);
        Assert.Contains("NTS-KE with 127.0.0.1:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_RefusesAnUnreadableCertificate()
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(
        [
            "serve", "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--nts-ke-listen", $"127.0.0.1:{Ports.FreeTcpPort()}",
            "--cert", "/nonexistent/cert.pem", "--key", _pki.ServerKey,
        ]);
        Assert.Equal(2, exit);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("fastntp:", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Chrony_SynchronizesOverNtsAgainstServe()
    {
        Chronyd.RequireInstalled();
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = StartNtsServer(ntpPort, kePort, metricsPort);

        (int exit, string output) = Chronyd.Query(
            [$"ntstrustedcerts {_pki.CaCert}", $"server 127.0.0.1 port {ntpPort} nts ntsport {kePort} iburst maxsamples 4"],
            timeLimitSeconds: 30);
        Assert.True(exit == 0, output + "\n" + server.Output);
        double? offset = Chronyd.MeasuredOffset(output);
        Assert.True(offset is not null, output);
        Assert.InRange(Math.Abs(offset.Value), 0, 0.05);

        string status = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]).Output;
        Assert.Matches("nts: authenticated=[1-9][0-9]* naks=0 rejected=0", status);
    }

    [Fact]
    public void NtsKeAndQueryNts_WorkAgainstChronydAsNtsServer()
    {
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        using ChronydServer chronyd = Chronyd.StartServer(
            ntpPort, $"ntsport {kePort}", $"ntsservercert {_pki.ServerCert}", $"ntsserverkey {_pki.ServerKey}", "local stratum 1");
        string ke = kePort.ToString(CultureInfo.InvariantCulture);

        // chronyd binds a moment after it starts; NTS-KE is retried for a bounded time.
        (int exit, string output) = (0, "");
        for (int attempt = 0; attempt < 40; attempt++)
        {
            (exit, output) = TestEnvironment.RunFastNtp(["nts-ke", $"127.0.0.1:{ke}", "--ca", _pki.CaCert]);
            if (exit == 0) break;
            Thread.Sleep(250);
        }

        Assert.True(exit == 0, output + "\n" + chronyd.Output);
        Assert.Contains("aead 15 (AesSivCmac256)", output, StringComparison.Ordinal);
        Assert.Equal(8, Regex.Matches(output, "^cookie [0-9a-f]+$", RegexOptions.Multiline).Count);

        // chrony names no NTP port in NTS-KE when it serves its configured one; the query's own port is the default then.
        (exit, output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{ntpPort}", "--nts", "--ntske-port", ke, "--ca", _pki.CaCert]);
        Assert.True(exit == 0, output + "\n" + chronyd.Output);
        Assert.Matches("stratum 1 refid .* nts AesSivCmac256", output);
    }
}
