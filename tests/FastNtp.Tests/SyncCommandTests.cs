using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp serve --upstream` against three chronyd upstreams on loopback (-x: they never touch the clock).</summary>
public sealed class SyncCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastntp-sync-e2e-").FullName;
    private readonly List<ExternalProcess> _upstreams = [];

    public void Dispose()
    {
        foreach (ExternalProcess p in _upstreams) p.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private int StartChronydUpstream()
    {
        string chronyd = TestEnvironment.RequireProgram("chronyd", "chrony");
        int port = TestEnvironment.FreeUdpPort();
        string conf = Path.Combine(_dir, $"chrony-{port}.conf");
        File.WriteAllLines(conf,
            [$"port {port}", "bindaddress 127.0.0.1", "local stratum 2", "allow 127.0.0.1", "cmdport 0", $"pidfile {_dir}/chronyd-{port}.pid"]);
        _upstreams.Add(ExternalProcess.Start(chronyd, ["-x", "-d", "-u", "root", "-f", conf]));
        return port;
    }

    [Fact]
    public void FollowsThreeChronydUpstreamsAndServesStratumThreeToQueryAndChrony()
    {
        int[] upstreams = [StartChronydUpstream(), StartChronydUpstream(), StartChronydUpstream()];
        int port = TestEnvironment.FreeUdpPort();
        int metricsPort = TestEnvironment.FreeTcpPort();
        var arguments = new List<string> { "serve", "--listen", $"127.0.0.1:{port}", "--metrics-listen", $"127.0.0.1:{metricsPort}" };
        foreach (int upstream in upstreams) arguments.AddRange(["--upstream", $"127.0.0.1:{upstream}"]);
        // Sub-second polling so the test converges in seconds; operators keep the defaults (6 and 10).
        var environment = new Dictionary<string, string> { ["FASTNTP__SYNC__MINPOLL"] = "-2", ["FASTNTP__SYNC__MAXPOLL"] = "0" };
        using ExternalProcess server = TestEnvironment.StartFastNtp(arguments, environment);
        Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

        (int exit, string output) = (0, "");
        for (int attempt = 0; attempt < 60; attempt++)
        {
            (exit, output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}", "--timeout", "1"]);
            if (exit == 0) break;
            Thread.Sleep(500);
        }

        Assert.True(exit == 0, output + "\n" + server.Output);
        Assert.Contains("stratum 3 refid 127.0.0.1 leap 0", output, StringComparison.Ordinal);

        string status = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]).Output;
        Assert.Contains("advertising: synchronized stratum 3 refid 127.0.0.1", status, StringComparison.Ordinal);
        foreach (int upstream in upstreams) Assert.Contains($"127.0.0.1:{upstream}", status, StringComparison.Ordinal);
        Assert.Contains("Selected", status, StringComparison.Ordinal);

        string chronyd = TestEnvironment.RequireProgram("chronyd", "chrony");
        (exit, output) = ExternalProcess.Run(
            chronyd,
            ["-Q", "-u", "root", "-t", "20", "-f", "/dev/null", $"pidfile {_dir}/client.pid", $"server 127.0.0.1 port {port} iburst maxsamples 4"],
            TimeSpan.FromSeconds(40));
        Assert.True(exit == 0, output);
        Assert.Contains("System clock wrong by", output, StringComparison.Ordinal);
    }

    [Fact]
    public void WithUnreachableUpstreamsFallsBackToTheLocalStratum()
    {
        int deadPort = TestEnvironment.FreeUdpPort();
        int port = TestEnvironment.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer(
            "--listen", $"127.0.0.1:{port}", "--upstream", $"127.0.0.1:{deadPort}", "--local-stratum", "10");
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("stratum 10 refid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void WithUnreachableUpstreamsAndNoFallbackAnswersUnsynchronized()
    {
        int deadPort = TestEnvironment.FreeUdpPort();
        int port = TestEnvironment.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--upstream", $"127.0.0.1:{deadPort}");
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("not synchronized", output, StringComparison.Ordinal);
    }
}
