namespace FastNtp.Server.Tests.Configuration;

public sealed class PolicySettingsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static FastNtpSettings Load(params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(null, overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)), NoEnvironment);

    private static IReadOnlyList<string> Errors(params (string Key, string Value)[] overrides) =>
        Assert.Throws<ConfigurationException>(() => Load(overrides)).Errors;

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        FastNtpSettings settings = Load();
        Assert.Equal(new RateLimitSettings(false, TimeSpan.FromSeconds(2), 16, 0.1, 65_536, 64), settings.RateLimit);
        Assert.Empty(settings.Access.Allow);
        Assert.Empty(settings.Access.Deny);
        Assert.True(settings.Access.List.IsEmpty);
        Assert.Equal(DenyAction.Drop, settings.Access.DenyAction);
        Assert.False(settings.Access.RequireNts);
        Assert.Equal(new ClientPolicyOptions(), settings.ClientPolicy);
    }

    [Fact]
    public void ShippedExample_MatchesTheDefaults()
    {
        string example = Path.Combine(AppContext.BaseDirectory, "deploy", "fastntp.json");
        FastNtpSettings fromExample = ConfigurationLoader.Load(example, [], NoEnvironment);
        Assert.Equal(Load().RateLimit, fromExample.RateLimit);
        Assert.Equal(Load().ClientPolicy, fromExample.ClientPolicy);
    }

    [Fact]
    public void Values_ArriveTypedFromTheEnvironmentToo()
    {
        var environment = new Dictionary<string, string?>
        {
            ["FASTNTP__RATELIMIT__ENABLED"] = "true",
            ["FASTNTP__RATELIMIT__INTERVAL"] = "0.5",
            ["FASTNTP__RATELIMIT__BURST"] = "8",
            ["FASTNTP__RATELIMIT__KODSHARE"] = "1",
            ["FASTNTP__RATELIMIT__ENTRIES"] = "1024",
            ["FASTNTP__RATELIMIT__IPV6PREFIX"] = "56",
            ["FASTNTP__ACCESS__ALLOW__0"] = "10.0.0.0/8",
            ["FASTNTP__ACCESS__DENY__0"] = "10.1.0.0/16",
            ["FASTNTP__ACCESS__DENYACTION"] = "kod",
        };
        FastNtpSettings settings = ConfigurationLoader.Load(null, [], environment);
        Assert.Equal(new RateLimitSettings(true, TimeSpan.FromMilliseconds(500), 8, 1, 1024, 56), settings.RateLimit);
        Assert.Equal(["10.0.0.0/8"], settings.Access.Allow);
        Assert.Equal(["10.1.0.0/16"], settings.Access.Deny);
        Assert.Equal(DenyAction.Kod, settings.Access.DenyAction);
        Assert.True(settings.Access.List.IsAllowed(ClientAddress.FromIPAddress(IPAddress.Parse("10.2.3.4"))));
        Assert.False(settings.Access.List.IsAllowed(ClientAddress.FromIPAddress(IPAddress.Parse("10.1.3.4"))));
        Assert.False(settings.Access.List.IsAllowed(ClientAddress.FromIPAddress(IPAddress.Parse("192.0.2.1"))));
    }

    [Fact]
    public void EveryBadValue_IsReportedOnItsOwnLineNamingTheKey()
    {
        IReadOnlyList<string> errors = Errors(
            ("RateLimit:Interval", "0"), ("RateLimit:Burst", "0"), ("RateLimit:KodShare", "1.5"), ("RateLimit:Entries", "1"),
            ("RateLimit:Ipv6Prefix", "129"), ("Access:Deny:0", "10.0.0.1/8"), ("Access:Allow:0", "nonsense"),
            ("Access:DenyAction", "reject"));
        foreach (string key in new[]
                 {
                     "RateLimit:Interval", "RateLimit:Burst", "RateLimit:KodShare", "RateLimit:Entries", "RateLimit:Ipv6Prefix",
                     "Access:Deny[0]", "Access:Allow[0]", "Access:DenyAction",
                 })
        {
            Assert.Single(errors, e => e.StartsWith(key + ":", StringComparison.Ordinal));
        }

        Assert.Equal(8, errors.Count);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("1e300")]
    public void IntervalThatIsNoDuration_IsRefused(string interval) =>
        Assert.StartsWith("RateLimit:Interval:", Assert.Single(Errors(("RateLimit:Interval", interval))), StringComparison.Ordinal);

    [Fact]
    public void RequiringNtsWithoutNts_IsRefused() =>
        Assert.StartsWith("Access:RequireNts:", Assert.Single(Errors(("Access:RequireNts", "true"))), StringComparison.Ordinal);

    [Fact]
    public void RequiringNtsWithAFleetKey_IsAccepted() =>
        Assert.True(Load(("Access:RequireNts", "true"), ("Nts:KeyFile", "/nonexistent/is/checked/at/start")).Access.RequireNts);
}
