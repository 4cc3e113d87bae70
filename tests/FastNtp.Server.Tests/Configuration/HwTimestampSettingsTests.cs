namespace FastNtp.Server.Tests.Configuration;

public class HwTimestampSettingsTests
{
    private static FastNtpSettings Load(params (string Key, string Value)[] values) =>
        ConfigurationLoader.Load(null, values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)), new Dictionary<string, string?>());

    [Fact]
    public void Default_IsOff() => Assert.Empty(Load().Server.HwTimestamp.Interfaces);

    [Fact]
    public void Interfaces_ArriveAsListed()
    {
        HwTimestampSettings settings = Load(("Server:HwTimestamp:Interfaces:0", "eth0"), ("Server:HwTimestamp:Interfaces:1", "enp1s0f1")).Server.HwTimestamp;
        Assert.Equal(["eth0", "enp1s0f1"], settings.Interfaces);
    }

    [Fact]
    public void EnvironmentVariable_SetsTheFirstInterface()
    {
        FastNtpSettings settings = ConfigurationLoader.Load(null, [], new Dictionary<string, string?> { ["FASTNTP__SERVER__HWTIMESTAMP__INTERFACES__0"] = "eth1" });
        Assert.Equal(["eth1"], settings.Server.HwTimestamp.Interfaces);
    }

    [Theory]
    [InlineData("a-name-longer-than-ifnamsiz")]
    [InlineData("eth0:1")]
    [InlineData("bad name")]
    [InlineData("../eth0")]
    public void NameLinuxWouldRefuse_StopsStartUpNamingTheKey(string name)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Load(("Server:HwTimestamp:Interfaces:0", name)));
        Assert.Equal($"Server:HwTimestamp:Interfaces: '{name}' is not a network interface name", e.Message);
    }

    [Fact]
    // Whether it exists is the running machine's business: start-up warns and keeps software stamps.
    public void AbsentInterface_IsNotAConfigurationError() =>
        Assert.Equal(["fntp-absent0"], Load(("Server:HwTimestamp:Interfaces:0", "fntp-absent0")).Server.HwTimestamp.Interfaces);
}
