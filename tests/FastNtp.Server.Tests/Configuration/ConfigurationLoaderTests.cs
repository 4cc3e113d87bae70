using FastNtp.Server.Configuration;

namespace FastNtp.Server.Tests.Configuration;

public sealed class ConfigurationLoaderTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static FastNtpOptions Load(IDictionary<string, string?>? environment = null, params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(null, overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)), environment ?? NoEnvironment);

    [Fact]
    public void DefaultsNeedNoConfiguration()
    {
        FastNtpOptions options = Load();
        Assert.Empty(options.Server.Listen);
        Assert.Equal(0, options.Server.Workers);
        Assert.Null(options.Server.LocalStratum);
        Assert.Equal("none", options.Clock.Control);
        Assert.Equal(6, options.Sync.MinPoll);
        Assert.Equal(10, options.Sync.MaxPoll);
        Assert.Equal(TimeSpan.FromDays(1), options.Nts.Rotation);
        Assert.Equal(7, options.Nts.StaleEpochs);
    }

    [Fact]
    public void TheShippedExampleConfigurationLoadsAndMatchesTheDefaults()
    {
        string example = Path.Combine(AppContext.BaseDirectory, "deploy", "fastntp.json");
        FastNtpOptions options = ConfigurationLoader.Load(example, [], NoEnvironment);
        Assert.Equal(["0.0.0.0:123", "[::]:123"], options.Server.Listen);
        Assert.Null(options.Server.LocalStratum);
        Assert.Equal(TimeSpan.FromDays(1), options.Nts.Rotation);
    }

    [Fact]
    public void EnvironmentVariablesMapDoubleUnderscoresToSections()
    {
        var environment = new Dictionary<string, string?>
        {
            ["FASTNTP__SERVER__WORKERS"] = "3",
            ["FASTNTP__SERVER__LISTEN__0"] = "127.0.0.1:1234",
            ["FASTNTP__SYNC__UPSTREAM__0"] = "time.example:123,nts",
            ["UNRELATED"] = "ignored",
        };
        FastNtpOptions options = Load(environment);
        Assert.Equal(3, options.Server.Workers);
        Assert.Equal(["127.0.0.1:1234"], options.Server.Listen);
        Assert.Equal(["time.example:123,nts"], options.Sync.Upstream);
    }

    [Fact]
    public void XdpInterfacesAndModeBind()
    {
        FastNtpOptions options = Load(null, ("Server:Xdp:Interfaces:0", "eth0"), ("Server:Xdp:Interfaces:1", "eth1"), ("Server:Xdp:Mode", "native"));
        Assert.Equal(["eth0", "eth1"], options.Server.Xdp.Interfaces);
        Assert.Equal("native", options.Server.Xdp.Mode);
    }

    [Fact]
    public void CommandLineOverridesEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["FASTNTP__SERVER__WORKERS"] = "3" };
        Assert.Equal(5, Load(environment, ("Server:Workers", "5")).Server.Workers);
    }

    [Theory]
    [InlineData("Server:Workers", "1025", "--workers: 1025 is not 0 (one per core) to 1024")]
    [InlineData("Server:Workers", "x", "--workers (Server:Workers): invalid value 'x'")]
    [InlineData("Server:Listen:0", "[::1", "--listen: '[::1' is not ADDR:PORT (IPv6 as [ADDR]:PORT)")]
    [InlineData("Server:Listen:0", "127.0.0.1:", "--listen: '127.0.0.1:' is not ADDR:PORT (IPv6 as [ADDR]:PORT)")]
    [InlineData("Server:Engine", "dpdk", "Server:Engine: 'dpdk' is not auto, linux or portable")]
    [InlineData("Server:Xdp:Interfaces:0", "a-name-longer-than-ifnamsiz", "--xdp: 'a-name-longer-than-ifnamsiz' is not a network interface name")]
    [InlineData("Server:Xdp:Mode", "offload", "Server:Xdp:Mode: 'offload' is not auto, native or generic")]
    [InlineData("Sync:MinPoll", "-5", "Sync:MinPoll: -5 is not -4 to 17")]
    [InlineData("Sync:MaxPoll", "3", "Sync:MaxPoll: 3 is below Sync:MinPoll 6")]
    [InlineData("Sync:MinSources", "0", "Sync:MinSources: 0 is not at least 1")]
    [InlineData("Sync:Upstream:0", ",nts", "--upstream: ',nts' is not HOST[:PORT][,nts]")]
    [InlineData("Clock:MaxOffset", "0", "Clock:MaxOffset: 0 is not a positive number of seconds")]
    [InlineData("Clock:ReferenceId", "TOOLONG", "Clock:ReferenceId: 'TOOLONG' is not one to four printable ASCII characters")]
    [InlineData("Nts:Rotation", "00:00:10", "Nts:Rotation: 00:00:10 is shorter than one minute")]
    [InlineData("Nts:StaleEpochs", "-1", "Nts:StaleEpochs: -1 is not 0 to 1000")]
    [InlineData("Nts:KeListen", "127.0.0.1:notaport", "--nts-ke-listen: '127.0.0.1:notaport' is not ADDR:PORT")]
    [InlineData("Metrics:Listen", "127.0.0.1", "--metrics-listen: '127.0.0.1' is not ADDR:PORT")]
    [InlineData("Server:Unknown", "1", "unknown configuration key(s): 'Unknown'")]
    public void RefusesBadValuesWithALineNamingTheOption(string key, string value, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(null, (key, value)));
        Assert.Equal(expected, e.Message);
    }
}
