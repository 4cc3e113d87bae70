using System.CommandLine;
using System.Text.Json;
using FastNtp.Commands;
using FastNtp.Server.Configuration;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp serve` end to end: start, answer `fastntp query`, stop on signals, refuse bad settings.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void Serve_ServesTheLocalClockToQueryOverIPv4AndIPv6()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer(
            "--listen", $"127.0.0.1:{port}", "--listen", $"[::1]:{port}", "--local-stratum", "1", "--workers", "2");

        foreach (string target in new[] { $"127.0.0.1:{port}", $"[::1]:{port}" })
        {
            (int exit, string output) = TestEnvironment.RunFastNtp(["query", target, "--json"]);
            Assert.True(exit == 0, output);
            JsonElement sample = JsonDocument.Parse(output).RootElement[0];
            Assert.True(sample.GetProperty("valid").GetBoolean());
            Assert.Equal(1, sample.GetProperty("stratum").GetInt32());
            Assert.Equal("LOCL", sample.GetProperty("referenceId").GetString());
            Assert.Equal(0, sample.GetProperty("leap").GetInt32());
            // Same machine, same clock: the offset is small and the delay positive.
            Assert.InRange(Math.Abs(sample.GetProperty("offsetSeconds").GetDouble()), 0, 0.05);
            Assert.InRange(sample.GetProperty("delaySeconds").GetDouble(), 0, 0.5);
        }
    }

    [Fact]
    public void Serve_StopsCleanlyOnSigtermAndPrintsTheCounterSummary()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--local-stratum", "2");
        Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);

        server.Signal("TERM");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Equal(0, server.ExitCode);
        Assert.Contains("stopped; received=1 answered=1", server.Output, StringComparison.Ordinal);
        // The summary once, not once per layer.
        Assert.Single(server.Output.Split('\n'), l => l.Contains("received=1 answered=1", StringComparison.Ordinal));
    }

    [Fact]
    public void ServeWithLogLevelWarning_LogsWarningsButNoInformation()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartFastNtp(["serve", "--listen", $"127.0.0.1:{port}", "--log-level", "warning"]);
        Assert.True(server.WaitForLine(l => l.Contains("No upstream source and no --local-stratum", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

        // It serves (unsynchronized, so query says exit 5), and said nothing at level Information.
        Assert.Equal(5, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);
        Assert.DoesNotContain("Serving NTP", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("info:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_StopsCleanlyOnSigint()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}", "--local-stratum", "2");
        server.Signal("INT");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Equal(0, server.ExitCode);
    }

    [Fact]
    public void ServeWithoutAnySource_AnswersUnsynchronizedAndQueryRejectsIt()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = TestEnvironment.StartServer("--listen", $"127.0.0.1:{port}");
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("not synchronized (leap 3, stratum 16)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--workers", "-1" }, "--workers: -1 is not 0")]
    [InlineData(new[] { "--workers", "many" }, "--workers")]
    [InlineData(new[] { "--local-stratum", "16" }, "--local-stratum: 16 is not 1 to 15")]
    [InlineData(new[] { "--listen", "localhost" }, "--listen: 'localhost' is not ADDR:PORT")]
    [InlineData(new[] { "--listen", "127.0.0.1:70000" }, "--listen: '127.0.0.1:70000' is not ADDR:PORT")]
    [InlineData(new[] { "--upstream", "pool.example:123,tls" }, "--upstream: 'pool.example:123,tls' is not HOST[:PORT][,nts]")]
    [InlineData(new[] { "--nts-ke-listen", "127.0.0.1:4460" }, "--cert: NTS-KE needs a certificate chain PEM file")]
    [InlineData(new[] { "--config", "/nonexistent/fastntp.json" }, "--config: file not found")]
    public void Serve_RefusesABadValueWithOneLineNamingTheOption(string[] arguments, string expected)
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(new[] { "serve" }.Concat(arguments));
        Assert.NotEqual(0, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ServeOptions_AreTheOptionTablesWithTheTablesDescriptions()
    {
        Command serve = ServeCommand.Create();
        IEnumerable<(string, string)> expected = OptionTable.Rows.Where(r => r.Option is not null).Select(r => (r.Option!, r.Description)).Prepend(("--config", serve.Options[0].Description!));
        Assert.Equal(expected, serve.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal)).Select(o => (o.Name, o.Description!)));
    }

    [Fact]
    public void Help_ListsEveryOptionOfTheTable()
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(["serve", "--help"]);
        Assert.Equal(0, exit);
        foreach (OptionRow row in OptionTable.Rows.Where(r => r.Option is not null))
            Assert.Contains(row.Option!, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--workers", "many", "--workers (Server:Workers): invalid value 'many'")]
    [InlineData("--local-stratum", "one", "--local-stratum (Server:LocalStratum): invalid value 'one'")]
    public void NonNumber_IsRefusedLikeTheFileWouldRefuseIt(string option, string value, string expected)
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(["serve", option, value]);
        Assert.Equal(2, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_RefusesAPortThatIsAlreadyInUse()
    {
        int port = Ports.FreeUdpPort();
        using var holder = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        (int exit, string output) = TestEnvironment.RunFastNtp(["serve", "--listen", $"127.0.0.1:{port}", "--local-stratum", "1"]);
        Assert.Equal(2, exit);
        Assert.Contains($"--listen: cannot bind", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_LayersConfigFileThenEnvironmentThenCommandLine()
    {
        int filePort = Ports.FreeUdpPort();
        string config = Path.Combine(Path.GetTempPath(), $"fastntp-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, $$"""{ "Server": { "Listen": [ "127.0.0.1:{{filePort}}" ], "LocalStratum": 4, "Workers": 1 } }""");
        try
        {
            // File alone.
            using (ExternalProcess server = TestEnvironment.StartServer("--config", config))
            {
                Assert.Contains("stratum 4", TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{filePort}"]).Output, StringComparison.Ordinal);
            }

            // The environment overrides the file.
            var environment = new Dictionary<string, string> { ["FASTNTP__SERVER__LOCALSTRATUM"] = "5" };
            using (ExternalProcess server = TestEnvironment.StartFastNtp(["serve", "--config", config], environment))
            {
                Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);
                Assert.Contains("stratum 5", TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{filePort}"]).Output, StringComparison.Ordinal);
            }

            // The command line overrides both.
            using (ExternalProcess server = TestEnvironment.StartFastNtp(["serve", "--config", config, "--local-stratum", "6"], environment))
            {
                Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);
                Assert.Contains("stratum 6", TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{filePort}"]).Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("""{ "Server": { "Listen": [ "127.0.0.1:1" ], "Wrokers": 2 } }""", "Server:Wrokers: unknown key in section Server")]
    [InlineData("""{ "Server": { "Workers": "two" } }""", "--workers (Server:Workers): invalid value 'two'")]
    [InlineData("""{ "Server": { "Workers": 2 """, ":1:28: not valid JSON: ")]
    [InlineData("""{ "Clock": { "Control": "gps" } }""", "Clock:Control: 'gps' is not none, kernel or follow-kernel")]
    public void Serve_RefusesABadConfigFileWithOneLine(string json, string expected)
    {
        string config = Path.Combine(Path.GetTempPath(), $"fastntp-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, json);
        try
        {
            (int exit, string output) = TestEnvironment.RunFastNtp(["serve", "--config", config]);
            Assert.Equal(2, exit);
            Assert.Contains(expected, output, StringComparison.Ordinal);
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(config);
        }
    }
}
