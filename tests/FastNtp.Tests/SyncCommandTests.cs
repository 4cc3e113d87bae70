using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp serve --upstream` against three chronyd upstreams on loopback (-x: they never touch the clock).</summary>
public sealed class SyncCommandTests : IDisposable
{
    private readonly List<ChronydServer> _upstreams = [];

    public void Dispose()
    {
        foreach (ChronydServer upstream in _upstreams) upstream.Dispose();
    }

    private int StartChronydUpstream()
    {
        ChronydServer upstream = Chronyd.StartServer(Ports.FreeUdpPort(), "local stratum 2");
        _upstreams.Add(upstream);
        return upstream.Port;
    }

    [Fact]
    public void Serve_FollowsThreeChronydUpstreamsAndServesStratumThreeToQueryAndChrony()
    {
        int[] upstreams = [StartChronydUpstream(), StartChronydUpstream(), StartChronydUpstream()];
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        var arguments = new List<string> { "serve", "--listen", $"127.0.0.1:{port}", "--metrics-listen", $"127.0.0.1:{metricsPort}" };
        foreach (int upstream in upstreams) arguments.AddRange(["--upstream", $"127.0.0.1:{upstream}"]);
        // Sub-second polling so the test converges in seconds; operators keep the defaults (6 and 10).
        var environment = new Dictionary<string, string> { ["FASTNTP__SYNC__MINPOLL"] = "-2", ["FASTNTP__SYNC__MAXPOLL"] = "0" };
        using ExternalProcess server = TestEnvironment.StartFastNtp(arguments, environment);
        Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

        (int exit, string output) = TestEnvironment.QueryUntilAnswered(port, attempts: 60);
        Assert.True(exit == 0, output + "\n" + server.Output);
        Assert.Contains("stratum 3 refid 127.0.0.1 leap 0", output, StringComparison.Ordinal);

        string status = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]).Output;
        Assert.Contains("advertising: synchronized stratum 3 refid 127.0.0.1", status, StringComparison.Ordinal);
        foreach (int upstream in upstreams) Assert.Contains($"127.0.0.1:{upstream}", status, StringComparison.Ordinal);
        Assert.Contains("Selected", status, StringComparison.Ordinal);

        (exit, output) = Chronyd.Query([$"server 127.0.0.1 port {port} iburst maxsamples 4"], timeLimitSeconds: 20);
        Assert.True(exit == 0, output);
        Assert.Contains("System clock wrong by", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableUpstreams_FallBackToTheLocalStratum()
    {
        int deadPort = Ports.FreeUdpPort();
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer(
            "--listen", $"127.0.0.1:{port}", "--upstream", $"127.0.0.1:{deadPort}", "--local-stratum", "10");
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("stratum 10 refid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableUpstreamsAndNoFallback_AnswerUnsynchronized()
    {
        int deadPort = Ports.FreeUdpPort();
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--upstream", $"127.0.0.1:{deadPort}");
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("not synchronized", output, StringComparison.Ordinal);
    }
}
