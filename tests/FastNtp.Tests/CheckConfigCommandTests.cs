using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp check-config`, command-line parse errors, help placeholders and `status` finding its server through the configuration.</summary>
public sealed class CheckConfigCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastntp-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void CheckConfig_ExitsZeroForTheShippedConfigurations()
    {
        foreach (string file in new[] { "deploy/fastntp.json", "deploy/kubernetes/fastntp.json" })
        {
            (int exit, string output) = TestEnvironment.RunFastNtp(["check-config", Path.Combine(AppContext.BaseDirectory, file)]);
            Assert.True(exit == 0, output);
            Assert.Contains("configuration is valid", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CheckConfig_ListsEveryProblemOnItsOwnLineAndExitsTwo()
    {
        string path = Write("""{ "Server": { "Workers": -1, "Wrokers": 2 }, "Clock": { "Control": "Kernel", "Stratum": 0 } }""");

        (int exit, string output) = TestEnvironment.RunFastNtp(["check-config", path],
            new Dictionary<string, string> { ["FASTNTP__SYNC__MINPOLL"] = "99" });

        Assert.Equal(2, exit);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains($"fastntp: {path}:1:15: --workers: -1 is not 0 (one per core) to 1024", lines);
        Assert.Contains(lines, l => l.StartsWith($"fastntp: {path}:1:30: Server:Wrokers: unknown key in section Server", StringComparison.Ordinal));
        Assert.Contains($"fastntp: {path}:1:78: Clock:Stratum: 0 is not 1 to 15", lines);
        Assert.Contains("fastntp: Sync:MinPoll: 99 is not -4 to 17 (from the environment: FASTNTP__SYNC__MINPOLL)", lines);
    }

    [Theory]
    [InlineData(new[] { "query", "127.0.0.1", "--count", "many" }, "fastntp: --count: 'many' is not a whole number (see 'fastntp query --help')")]
    [InlineData(new[] { "serve", "--no-such-option" }, "fastntp: Unrecognized command or argument '--no-such-option'. (see 'fastntp serve --help')")]
    [InlineData(new[] { "keygen" }, "fastntp: Option '--out' is required. (see 'fastntp keygen --help')")]
    public void ParseErrors_AreOneLineWithAHintAndExitTwo(string[] arguments, string expected)
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(arguments);

        Assert.Equal(2, exit);
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public void Help_ShowsPlaceholdersForValues()
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(["serve", "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("--listen <ADDR:PORT>", output, StringComparison.Ordinal);
        Assert.Contains("--user <NAME>", output, StringComparison.Ordinal);
        Assert.Contains("--log-level <LEVEL>", output, StringComparison.Ordinal);
        Assert.Contains("--config <FILE>", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_FindsTheMetricsListenerInTheConfiguration()
    {
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        string config = Write($$"""{ "Metrics": { "Listen": "0.0.0.0:{{metricsPort}}", "AllowRemote": true } }""");
        using ExternalProcess server = TestEnvironment.StartServer("--config", config, "--listen", $"127.0.0.1:{port}", "--local-stratum", "1");

        (int exit, string output) = TestEnvironment.RunFastNtp(["status", "--config", config]);

        Assert.True(exit == 0, output);
        Assert.Contains("advertising: synchronized stratum 1", output, StringComparison.Ordinal);
    }
}
