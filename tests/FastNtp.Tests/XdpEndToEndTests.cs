using System.Globalization;
using System.Text.RegularExpressions;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>
/// The XDP path end to end: `fastntp serve --xdp` in one network namespace, real clients in another, across a
/// veth pair. Plain NTP must be answered in the driver (the socket engine sees none of it), NTS still through
/// the socket engine beside it; a stopped server stops answering; a killed one leaves nothing attached.
/// </summary>
public sealed partial class XdpEndToEndTests : IClassFixture<XdpEndToEndTests.Network>, IDisposable
{
    private const string MetricsListen = "127.0.0.1:9123";
    private readonly VethNamespacePair _net;
    private readonly string _directory = Directory.CreateTempSubdirectory("fastntp-xdp-e2e-").FullName;

    public XdpEndToEndTests(Network network)
    {
        _net = network.Pair;
    }

    public sealed class Network : IDisposable
    {
        public VethNamespacePair Pair { get; } = new();

        public void Dispose() => Pair.Dispose();
    }

    /// <summary>`fastntp serve --xdp` in the server namespace, started and serving.</summary>
    private ExternalProcess StartServer(params string[] more)
    {
        ExternalProcess server = _net.StartInServer("dotnet",
            [TestEnvironment.FastNtpDll, "serve", "--listen", $"{_net.ServerV4}:123", "--listen", $"[{_net.ServerV6}]:123", "--local-stratum", "2",
             "--xdp", VethNamespacePair.ServerInterface, "--metrics-listen", MetricsListen, .. more]);
        if (!server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout))
        {
            string output = server.Output;
            server.Dispose();
            Assert.Fail($"fastntp serve did not start: {output}");
        }

        return server;
    }

    private (int ExitCode, string Output) Query(string address, params string[] more) =>
        _net.RunInClient("dotnet", [TestEnvironment.FastNtpDll, "query", address, "--timeout", "1", .. more], TimeSpan.FromSeconds(60));

    private string Status() => _net.RunInServer("dotnet", [TestEnvironment.FastNtpDll, "status", MetricsListen], TimeSpan.FromSeconds(60)).Output;

    private (int ExitCode, string Output) ChronydQuery(params string[] directives)
    {
        string chronyd = Chronyd.RequireInstalled();
        return _net.RunInClient(chronyd,
            ["-Q", "-u", "root", "-t", "20", "-f", "/dev/null", $"pidfile {Path.Combine(_directory, "chronyd.pid")}", "cmdport 0", .. directives],
            TimeSpan.FromSeconds(40));
    }

    [Fact]
    public void PlainClients_AreAnsweredInTheDriverOverIPv4AndIPv6()
    {
        string ntpdig = ExternalProcess.RequireProgram("ntpdig", "ntpsec-ntpdig");
        using ExternalProcess server = StartServer();
        Assert.Contains("XDP: answering plain NTP in the driver on fntp-srv", server.Output, StringComparison.Ordinal);
        Assert.Contains("prog/xdp", _net.ServerLink(), StringComparison.Ordinal);

        foreach (string address in new[] { $"{_net.ServerV4}:123", $"[{_net.ServerV6}]:123" })
        {
            (int exit, string output) = Query(address);
            Assert.True(exit == 0, output + "\n" + server.Output);
            Assert.Contains("stratum 2", output, StringComparison.Ordinal);
        }

        foreach (string address in new[] { _net.ServerV4, _net.ServerV6 })
        {
            (int exit, string output) = _net.RunInClient(ntpdig, ["-t", "3", address], TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, output);
            Assert.Matches($@"[+-][0-9.]+ \+/- [0-9.]+ {Regex.Escape(address)} s2 no-leap", output);
        }

        (int chronyExit, string chronyOutput) = ChronydQuery($"server {_net.ServerV4} iburst maxsamples 4", $"server {_net.ServerV6} iburst maxsamples 4");
        Assert.True(chronyExit == 0, chronyOutput);
        Assert.NotNull(Chronyd.MeasuredOffset(chronyOutput));

        // 2 queries, 2 ntpdig, at least 4 chronyd samples: all in the driver, none through a socket.
        string status = Status();
        AssertCountAtLeast(XdpAnswered(), status, 8);
        Assert.Contains("counters: received=0 answered=0", status, StringComparison.Ordinal);
    }

    [Fact]
    public void Nts_IsAnsweredThroughAfXdpOverIPv4AndIPv6()
    {
        using var pki = new TestPki("ec", _net.ServerV4, _net.ServerV6);
        using ExternalProcess server = StartServer("--nts-ke-listen", "[::]:4460", "--cert", pki.ServerCert, "--key", pki.ServerKey);
        Assert.Contains("AF_XDP: NTS and extension-field requests on fntp-srv", server.Output, StringComparison.Ordinal);

        foreach (string address in new[] { $"{_net.ServerV4}:123", $"[{_net.ServerV6}]:123" })
        {
            (int exit, string output) = Query(address, "--nts", "--ntske-port", "4460", "--ca", pki.CaCert);
            Assert.True(exit == 0, output + "\n" + server.Output);
            Assert.Matches("stratum 2 refid .* nts AesSivCmac256", output);
        }

        (int chronyExit, string chronyOutput) = ChronydQuery($"ntstrustedcerts {pki.CaCert}", $"server {_net.ServerV4} nts ntsport 4460 iburst maxsamples 4");
        Assert.True(chronyExit == 0, chronyOutput + "\n" + server.Output);
        Assert.NotNull(Chronyd.MeasuredOffset(chronyOutput));

        // The queries and chronyd's samples: redirected by the program, answered from AF_XDP frames by the responder.
        string status = Status();
        Assert.True(Regex.IsMatch(status, @"nts: authenticated=([4-9]|\d\d+) "), status);
        AssertCountAtLeast(AfXdpSent(), status, 4);
        Assert.Contains("frame-errors=0", status, StringComparison.Ordinal);
        // Every receive time is the one the program stamped in the driver, carried to the worker in the frame's metadata.
        Assert.Contains("redirected-unstamped=0", status, StringComparison.Ordinal);
        Assert.Matches(@"af_xdp: .* wake-errors=\d+ unstamped=0\b", status);
    }

    [Fact]
    public void RefusedNtsClients_AreDroppedInTheDriverBeforeAfXdp()
    {
        using var pki = new TestPki("ec", _net.ServerV4, _net.ServerV6);
        string config = Path.Combine(_directory, "policy.json");
        File.WriteAllText(config, $$"""
            { "Access": { "Deny": [ "{{_net.ClientV6}}/128" ], "DenyAction": "kod" }, "RateLimit": { "Enabled": true, "Interval": 60, "Burst": 2 } }
            """);
        using ExternalProcess server = StartServer("--config", config, "--nts-ke-listen", "[::]:4460", "--cert", pki.ServerCert, "--key", pki.ServerKey);
        Assert.Contains("AF_XDP: NTS and extension-field requests on fntp-srv", server.Output, StringComparison.Ordinal);

        // The burst of two answered through AF_XDP, the third over the limit dropped: an NTS client is never kissed.
        (int exit, string output) = Query($"{_net.ServerV4}:123", "--nts", "--ntske-port", "4460", "--ca", pki.CaCert, "--count", "3");
        Assert.True(exit == 3, output + "\n" + server.Output);
        Assert.Equal(2, Regex.Count(output, "nts AesSivCmac256"));

        // A denied address still gets its cookies over TCP (NTS-KE), but its NTS request gets nothing, not even a DENY.
        (exit, output) = Query($"[{_net.ServerV6}]:123", "--nts", "--ntske-port", "4460", "--ca", pki.CaCert);
        Assert.True(exit == 3, output + "\n" + server.Output);

        string status = Status();
        Assert.Contains("xdp policy: denied=1 nts-required=0 rate-limited-kiss=0 rate-limited-drop=1 kod-sent=0", status, StringComparison.Ordinal);
        // Only the two allowed requests reached the AF_XDP worker.
        Assert.Matches(@"af_xdp: sockets=1 \S+ frames=2 sent=2 ", status);
        Assert.Contains("counters: received=2 answered=2", status, StringComparison.Ordinal);
    }

    [Fact]
    public void NtsWithAfXdpOff_GoesThroughTheSocketEngineBesideXdp()
    {
        using var pki = new TestPki("ec", _net.ServerV4);
        string config = Path.Combine(_directory, "afxdp-off.json");
        File.WriteAllText(config, """{ "Server": { "Xdp": { "AfXdp": false } } }""");
        using ExternalProcess server = StartServer("--config", config, "--nts-ke-listen", $"{_net.ServerV4}:4460", "--cert", pki.ServerCert, "--key", pki.ServerKey);
        Assert.DoesNotContain("AF_XDP", server.Output, StringComparison.Ordinal);

        (int exit, string output) = Query($"{_net.ServerV4}:123", "--nts", "--ntske-port", "4460", "--ca", pki.CaCert);
        Assert.True(exit == 0, output + "\n" + server.Output);
        Assert.Matches("stratum 2 refid .* nts AesSivCmac256", output);

        // Authenticated by the socket engine after the program passed the request up (no socket in its XSKMAP).
        string status = Status();
        Assert.Matches(@"nts: authenticated=[1-9]", status);
        Assert.Matches(@"passed-extensions=[1-9]", status);
        Assert.DoesNotContain("af_xdp:", status, StringComparison.Ordinal);
    }

    [Fact]
    public void StoppedServer_StopsAnsweringUntilItRuns()
    {
        using ExternalProcess server = StartServer();
        string address = $"{_net.ServerV4}:123";
        Assert.Equal(0, Query(address).ExitCode);

        // A stopped process cannot beat: past the staleness limit the program leaves requests to the (stopped) sockets.
        server.Signal("STOP");
        try
        {
            Thread.Sleep(TimeSpan.FromSeconds(3));
            (int exit, string output) = Query(address);
            Assert.True(exit != 0, "a stopped server was answered for: " + output);
        }
        finally
        {
            server.Signal("CONT");
        }

        (int exitAfter, string outputAfter) = (1, "");
        for (int attempt = 0; attempt < 10 && exitAfter != 0; attempt++) (exitAfter, outputAfter) = Query(address);
        Assert.True(exitAfter == 0, outputAfter);
        Assert.Matches(@"passed-stale=[1-9]", Status());
    }

    [Fact]
    public void KilledServer_LeavesNoProgramAttached()
    {
        ExternalProcess server = StartServer();
        try
        {
            Assert.Contains("prog/xdp", _net.ServerLink(), StringComparison.Ordinal);
            server.Signal("KILL");
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(10)), "SIGKILL did not end the server");
        }
        finally
        {
            server.Dispose();
        }

        // The link's descriptor closes with the process; the kernel detaches the program as it releases it.
        string link = _net.ServerLink();
        for (int i = 0; i < 50 && link.Contains("xdp", StringComparison.Ordinal); i++)
        {
            Thread.Sleep(100);
            link = _net.ServerLink();
        }

        Assert.DoesNotContain("xdp", link, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The count <paramref name="counter"/> captures in the status output is there and at least <paramref name="minimum"/>.</summary>
    private static void AssertCountAtLeast(Regex counter, string status, int minimum)
    {
        Match match = counter.Match(status);
        Assert.True(match.Success, status);
        Assert.True(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) >= minimum, status);
    }

    [GeneratedRegex(@"xdp on fntp-srv: answered=(\d+)")]
    private static partial Regex XdpAnswered();

    [GeneratedRegex(@"af_xdp: sockets=1 \S+ frames=\d+ sent=(\d+)")]
    private static partial Regex AfXdpSent();
}
