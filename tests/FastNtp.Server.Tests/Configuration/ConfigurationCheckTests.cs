using FastNtp.Protocol.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Tests.Configuration;

/// <summary>`fastntp check-config`'s core: every problem at once, each with where it was written.</summary>
public sealed class ConfigurationCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastntp-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_directory, "fastntp.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Check_ReportsEveryProblemWithFileLineAndColumn()
    {
        string path = Write("""
            {
              "Server": { "Workers": "many", "Wrokers": 2 },
              "Srever": { "Listen": [ ] },
              "Access": { "Allow": [ "10.0.0.0/8", "10.0.0.1/8" ] },
              "Clock": { "Stratum": 0 }
            }
            """);

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], new Dictionary<string, string?>());

        Assert.Null(check.Settings);
        Assert.Equal(
            [
                $"{path}:2:15: --workers (Server:Workers): invalid value 'many'",
                $"{path}:2:34: Server:Wrokers: unknown key in section Server (its keys: Listen, Workers, LocalStratum, PinWorkers, Engine, User, AllowRoot, Interleaved, Xdp, HwTimestamp)",
                $"{path}:3:15: Srever:Listen: unknown section Srever (sections: Server, Sync, Clock, Nts, Metrics, RateLimit, Access, NtsKe, Logging)",
                $"{path}:5:14: Clock:Stratum: 0 is not 1 to 15",
                $"{path}:4:40: Access:Allow[1]: '10.0.0.1/8' has host bits set; the network is 10.0.0.0/8.",
            ],
            check.Errors);
    }

    [Fact]
    public void Check_GivesTheLineAndColumnOfAJsonSyntaxError()
    {
        string path = Write("{\n  \"Server\": { \"Workers\": 2 }\n  \"Clock\": { }\n}\n");

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], new Dictionary<string, string?>());

        string error = Assert.Single(check.Errors);
        Assert.StartsWith($"{path}:3:3: not valid JSON: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_RefusesAKeyThatIsNotUtf8WithItsPosition()
    {
        // Found by the config fuzz target: the key reader threw on a byte that is not UTF-8.
        string path = Path.Combine(_directory, "fastntp.json");
        File.WriteAllBytes(path, [.. "{\n  \"Server\": { \""u8, 0xB3, .. "isten\": [ ] }\n}\n"u8]);

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], new Dictionary<string, string?>());

        Assert.Null(check.Settings);
        Assert.Equal($"{path}:2:15: not valid JSON: a key is not valid UTF-8.", Assert.Single(check.Errors));
    }

    [Fact]
    public void Check_AcceptsAByteOrderMarkAndCountsColumnsAfterIt()
    {
        string path = Path.Combine(_directory, "fastntp.json");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "{ \"Server\": { \"Workers\": \"many\" } }"u8]);

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], new Dictionary<string, string?>());

        Assert.Equal($"{path}:1:15: --workers (Server:Workers): invalid value 'many'", Assert.Single(check.Errors));
    }

    [Fact]
    public void Check_NamesTheEnvironmentVariableAValueCameFrom()
    {
        string path = Write("""{ "Sync": { "MinPoll": 6 } }""");
        var environment = new Dictionary<string, string?> { ["FASTNTP__SYNC__MINPOLL"] = "99", ["FASTNTP__NTS__KEYFLIE"] = "/k" };

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], environment);

        Assert.Contains("Sync:MinPoll: 99 is not -4 to 17 (from the environment: FASTNTP__SYNC__MINPOLL)", check.Errors);
        Assert.Contains(check.Errors, e => e.StartsWith("Nts:KEYFLIE: unknown key in section Nts", StringComparison.Ordinal) &&
            e.EndsWith("(from the environment: FASTNTP__NTS__KEYFLIE)", StringComparison.Ordinal));
    }

    [Fact]
    public void EnvironmentVariables_DoNotChangeHowTheFilesKeysAreNamed()
    {
        string path = Write("""{ "Server": { "Wrokers": 2 } }""");
        var environment = new Dictionary<string, string?> { ["FASTNTP__SERVER__ALLOWROOT"] = "true" };

        ConfigurationCheck check = ConfigurationLoader.Check(path, [], environment);

        Assert.StartsWith($"{path}:1:15: Server:Wrokers: unknown key in section Server ", Assert.Single(check.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLineValues_CarryNoPosition()
    {
        string path = Write("""{ "Server": { "Workers": 2000 } }""");

        ConfigurationCheck fromFile = ConfigurationLoader.Check(path, [], new Dictionary<string, string?>());
        ConfigurationCheck fromOption = ConfigurationLoader.Check(path, [new("Server:Workers", "3000")], new Dictionary<string, string?>());

        Assert.Equal([$"{path}:1:15: --workers: 2000 is not 0 (one per core) to 1024"], fromFile.Errors);
        Assert.Equal(["--workers: 3000 is not 0 (one per core) to 1024"], fromOption.Errors);
    }

    [Fact]
    public void EnumValues_AreCaseInsensitiveLikeKeys()
    {
        string path = Write("""{ "clock": { "control": "Kernel" }, "Server": { "Engine": "PORTABLE" }, "Access": { "DenyAction": "KoD" } }""");

        FastNtpSettings settings = ConfigurationLoader.Load(path, [], new Dictionary<string, string?>());

        Assert.Equal(ClockControl.Kernel, settings.Clock.Control);
        Assert.Equal(EngineKind.Portable, settings.Server.Engine);
        Assert.Equal(DenyAction.Kod, settings.Access.DenyAction);
    }

    [Fact]
    public void LoggingSection_SetsTheDefaultAndPerCategoryLevels()
    {
        string path = Write("""{ "Logging": { "LogLevel": { "Default": "warning", "FastNtp.Sync": "Debug" } } }""");

        FastNtpSettings settings = ConfigurationLoader.Load(path, [], new Dictionary<string, string?>());

        Assert.Equal(LogLevel.Warning, settings.Logging.Default);
        Assert.Equal(LogLevel.Debug, settings.Logging.Categories["FastNtp.Sync"]);
        Assert.Equal(LogLevel.Information, ConfigurationLoader.Load(null, [], new Dictionary<string, string?>()).Logging.Default);
    }

    [Fact]
    public void ChooseFile_TakesTheDefaultFileOnlyWhenItExistsAndNoneIsNamed()
    {
        string present = Write("{}");
        string absent = Path.Combine(_directory, "absent.json");

        Assert.Equal(present, ConfigurationLoader.ChooseFile(null, present));
        Assert.Null(ConfigurationLoader.ChooseFile(null, absent));
        Assert.Equal("named.json", ConfigurationLoader.ChooseFile("named.json", present));
    }

    [Fact]
    public void ShippedExampleConfiguration_HoldsEveryKeyOfTheOptionTable()
    {
        byte[] example = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "deploy", "fastntp.json"));
        Assert.True(JsonKeyPositions.TryRead(example, out Dictionary<string, (int Line, int Column)> keys, out _));

        Assert.All(OptionTable.Rows, row => Assert.True(keys.ContainsKey(row.Key), $"deploy/fastntp.json lacks {row.Key}"));
    }
}
