namespace FastNtp.Server.Tests.Configuration;

public sealed class MetricsSettingsTests
{
    private static FastNtpSettings Load(params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(null, overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)), new Dictionary<string, string?>());

    [Theory]
    [InlineData("127.0.0.1:9123")]
    [InlineData("127.0.0.53:9123")]
    [InlineData("[::1]:9123")]
    public void LoopbackListen_NeedsNoOptIn(string listen) =>
        Assert.Equal(IPEndPoint.Parse(listen), Load(("Metrics:Listen", listen)).Metrics.Listen);

    [Theory]
    [InlineData("0.0.0.0:9123")]
    [InlineData("[::]:9123")]
    [InlineData("192.0.2.1:9123")]
    public void NonLoopbackListen_IsRefusedWithoutAllowRemote(string listen)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Load(("Metrics:Listen", listen)));
        Assert.Equal(
            $"--metrics-listen: {IPEndPoint.Parse(listen)} is not a loopback address; set Metrics:AllowRemote to true to serve metrics beyond this host",
            Assert.Single(e.Errors));
        Assert.Equal(IPEndPoint.Parse(listen), Load(("Metrics:Listen", listen), ("Metrics:AllowRemote", "true")).Metrics.Listen);
    }

    [Fact]
    public void MaxConnections_DefaultsTo64AndMustBePositive()
    {
        Assert.Equal(64, Load().Metrics.MaxConnections);
        Assert.Equal(8, Load(("Metrics:MaxConnections", "8")).Metrics.MaxConnections);
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Load(("Metrics:MaxConnections", "0")));
        Assert.Equal("Metrics:MaxConnections: 0 is not 1 to 100000", Assert.Single(e.Errors));
    }
}
