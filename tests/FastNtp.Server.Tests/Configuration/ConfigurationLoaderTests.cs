using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;

namespace FastNtp.Server.Tests.Configuration;

public sealed class ConfigurationLoaderTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static FastNtpSettings Load(IDictionary<string, string?>? environment = null, params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(null, overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)), environment ?? NoEnvironment);

    [Fact]
    public void Defaults_NeedNoConfiguration()
    {
        FastNtpSettings settings = Load();
        ServerSettings server = settings.Server;
        Assert.Equal([new IPEndPoint(IPAddress.Any, 123), new IPEndPoint(IPAddress.IPv6Any, 123)], server.Listen);
        Assert.Equal(Environment.ProcessorCount, server.Workers);
        Assert.Null(server.LocalStratum);
        Assert.False(server.PinWorkers);
        Assert.Equal(EngineKind.Auto, server.Engine);

        Assert.Equal(new SyncSettings([], 6, 10, null, null), settings.Sync with { Upstream = [] });
        Assert.Empty(settings.Sync.Upstream);
        Assert.Equal(new ClockSettings(ClockControl.None, 0.010, 0.128, 1000, 1, ReferenceId.FromAscii("GPS"), null, false, TimeSpan.FromDays(1)), settings.Clock);
        Assert.Equal(new NtsSettings(null, null, TimeSpan.FromDays(1), 7, null, null), settings.Nts);
        Assert.False(settings.Nts.Enabled);
        Assert.Null(settings.Metrics.Listen);
    }

    [Fact]
    public void ShippedExampleConfiguration_LoadsAndMatchesTheDefaults()
    {
        string example = Path.Combine(AppContext.BaseDirectory, "deploy", "fastntp.json");
        FastNtpSettings fromExample = ConfigurationLoader.Load(example, [], NoEnvironment);
        FastNtpSettings defaults = Load();
        Assert.Equal(defaults.Server.Listen, fromExample.Server.Listen);
        Assert.Equal(defaults.Server with { Listen = [] }, fromExample.Server with { Listen = [] });
        Assert.Equal(defaults.Sync with { Upstream = [] }, fromExample.Sync with { Upstream = [] });
        Assert.Equal(defaults.Clock, fromExample.Clock);
        Assert.Equal(defaults.Nts, fromExample.Nts);
        Assert.Equal(defaults.Metrics, fromExample.Metrics);
    }

    [Fact]
    public void Values_ArriveTyped()
    {
        FastNtpSettings settings = Load(null,
            ("Server:Listen:0", "[::1]:1234"), ("Server:Listen:1", "127.0.0.1"), ("Server:Workers", "3"), ("Server:LocalStratum", "4"),
            ("Server:Engine", "portable"), ("Sync:Upstream:0", "time.example,nts"), ("Clock:Control", "follow-kernel"),
            ("Clock:ReferenceId", "PPS"), ("Nts:KeListen", "127.0.0.1"), ("Nts:Cert", "chain.pem"), ("Nts:Key", "key.pem"),
            ("Nts:NtpServer", ""), ("Metrics:Listen", "[::1]:9123"), ("Server:Xdp:Interfaces:0", "eth0"),
            ("Server:Xdp:Interfaces:1", "eth1"), ("Server:Xdp:Mode", "native"));
        Assert.Equal([IPEndPoint.Parse("[::1]:1234"), IPEndPoint.Parse("127.0.0.1:123")], settings.Server.Listen);
        Assert.Equal(3, settings.Server.Workers);
        Assert.Equal((byte)4, settings.Server.LocalStratum);
        Assert.Equal(EngineKind.Portable, settings.Server.Engine);
        Assert.Equal(["eth0", "eth1"], settings.Server.Xdp.Interfaces);
        Assert.Equal(XdpAttachMode.Native, settings.Server.Xdp.Mode);
        Assert.Equal([new UpstreamSpec("time.example", 4460, Nts: true)], settings.Sync.Upstream);
        Assert.Equal(ClockControl.FollowKernel, settings.Clock.Control);
        Assert.Equal(ReferenceId.FromAscii("PPS"), settings.Clock.ReferenceId);
        Assert.Equal(new NtsKeListener(IPEndPoint.Parse("127.0.0.1:4460"), "chain.pem", "key.pem"), settings.Nts.KeListener);
        Assert.True(settings.Nts.Enabled);
        Assert.Null(settings.Nts.NtpServer);
        Assert.Equal(IPEndPoint.Parse("[::1]:9123"), settings.Metrics.Listen);
    }

    [Fact]
    public void EnvironmentVariables_MapDoubleUnderscoresToSections()
    {
        var environment = new Dictionary<string, string?>
        {
            ["FASTNTP__SERVER__WORKERS"] = "3",
            ["FASTNTP__SERVER__LISTEN__0"] = "127.0.0.1:1234",
            ["FASTNTP__SYNC__UPSTREAM__0"] = "time.example:123,nts",
            ["UNRELATED"] = "ignored",
        };
        FastNtpSettings settings = Load(environment);
        Assert.Equal(3, settings.Server.Workers);
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:1234")], settings.Server.Listen);
        Assert.Equal([new UpstreamSpec("time.example", 123, Nts: true)], settings.Sync.Upstream);
    }

    [Fact]
    public void CommandLine_OverridesEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["FASTNTP__SERVER__WORKERS"] = "3" };
        Assert.Equal(5, Load(environment, ("Server:Workers", "5")).Server.Workers);
    }

    [Theory]
    [InlineData("Server:Listen:0", "[::1", "--listen: '[::1' is not ADDR:PORT (IPv6 as [ADDR]:PORT)")]
    [InlineData("Server:Listen:0", "127.0.0.1:", "--listen: '127.0.0.1:' is not ADDR:PORT (IPv6 as [ADDR]:PORT)")]
    [InlineData("Server:Listen:1", "localhost", "--listen: 'localhost' is not ADDR:PORT (IPv6 as [ADDR]:PORT)")]
    [InlineData("Server:Workers", "1025", "--workers: 1025 is not 0 (one per core) to 1024")]
    [InlineData("Server:Workers", "x", "--workers (Server:Workers): invalid value 'x'")]
    [InlineData("Server:LocalStratum", "0", "--local-stratum: 0 is not 1 to 15")]
    [InlineData("Server:LocalStratum", "16", "--local-stratum: 16 is not 1 to 15")]
    [InlineData("Server:PinWorkers", "maybe", "Server:PinWorkers: invalid value 'maybe'")]
    [InlineData("Server:Engine", "dpdk", "Server:Engine: 'dpdk' is not auto, linux or portable")]
    [InlineData("Server:Xdp:Interfaces:0", "a-name-longer-than-ifnamsiz", "--xdp: 'a-name-longer-than-ifnamsiz' is not a network interface name")]
    [InlineData("Server:Xdp:Mode", "offload", "Server:Xdp:Mode: 'offload' is not auto, native or generic")]
    [InlineData("Sync:Upstream:0", ",nts", "--upstream: ',nts' is not HOST[:PORT][,nts]")]
    [InlineData("Sync:MinPoll", "-5", "Sync:MinPoll: -5 is not -4 to 17")]
    [InlineData("Sync:MaxPoll", "18", "Sync:MaxPoll: 18 is not -4 to 17")]
    [InlineData("Sync:MaxPoll", "3", "Sync:MaxPoll: 3 is below Sync:MinPoll 6")]
    [InlineData("Sync:MinSources", "0", "Sync:MinSources: 0 is not at least 1")]
    [InlineData("Sync:NtsCa", "/nonexistent/ca.pem", "Sync:NtsCa: file not found: /nonexistent/ca.pem")]
    [InlineData("Clock:Control", "gps", "Clock:Control: 'gps' is not none, kernel or follow-kernel")]
    [InlineData("Clock:MaxOffset", "0", "Clock:MaxOffset: 0 is not a positive number of seconds")]
    [InlineData("Clock:StepThreshold", "-1", "Clock:StepThreshold: -1 is negative")]
    [InlineData("Clock:PanicThreshold", "0", "Clock:PanicThreshold: 0 is not positive")]
    [InlineData("Clock:Stratum", "16", "Clock:Stratum: 16 is not 1 to 15")]
    [InlineData("Clock:ReferenceId", "TOOLONG", "Clock:ReferenceId: 'TOOLONG' is not one to four printable ASCII characters")]
    [InlineData("Nts:KeListen", "127.0.0.1:notaport", "--nts-ke-listen: '127.0.0.1:notaport' is not ADDR:PORT")]
    [InlineData("Nts:KeListen", "127.0.0.1:4460", "--cert: NTS-KE needs a certificate chain PEM file")]
    [InlineData("Nts:Rotation", "00:00:10", "Nts:Rotation: 00:00:10 is shorter than one minute")]
    [InlineData("Nts:Rotation", "daily", "Nts:Rotation: invalid value 'daily'")]
    [InlineData("Nts:StaleEpochs", "-1", "Nts:StaleEpochs: -1 is not 0 to 1000")]
    [InlineData("Nts:NtpPort", "0", "Nts:NtpPort: 0 is not a port")]
    [InlineData("Metrics:Listen", "127.0.0.1", "--metrics-listen: '127.0.0.1' is not ADDR:PORT")]
    [InlineData("Server:Unknown", "1", "Server:Unknown: unknown key in section Server (its keys: Listen, Workers, LocalStratum, PinWorkers, Engine, User, AllowRoot, Interleaved, Xdp, HwTimestamp)")]
    [InlineData("Server:User", "0day user", "--user: '0day user' is not a user name")]
    [InlineData("Logging:LogLevel:Default", "Chatty", "--log-level: 'Chatty' is not Trace, Debug, Information, Warning, Error, Critical or None")]
    [InlineData("Logging:Console:FormatterName", "json", "Logging:Console:FormatterName: unknown section Logging:Console")]
    public void BadValues_AreRefusedWithALineNamingTheOption(string key, string value, string expected)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Load(null, (key, value)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void EveryBadValue_IsReportedOnItsOwnLine()
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Load(null,
            ("Server:Workers", "2000"), ("Clock:Stratum", "0"), ("Nts:KeListen", "127.0.0.1:4460"), ("Metrics:Listen", "x")));
        Assert.Equal(
            [
                "--workers: 2000 is not 0 (one per core) to 1024",
                "Clock:Stratum: 0 is not 1 to 15",
                "--cert: NTS-KE needs a certificate chain PEM file",
                "--key: NTS-KE needs a private key PEM file",
                "--metrics-listen: 'x' is not ADDR:PORT",
            ],
            e.Errors);
        Assert.Equal(e.Errors[0], e.Message);
    }
}
