using FastNtp.Protocol.Sync;

namespace FastNtp.Server.Tests.Configuration;

public sealed class DeployConfigurationTests
{
    [Fact]
    public void KubernetesConfigMapsConfiguration_Loads()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "deploy", "kubernetes", "fastntp.json");

        FastNtpSettings settings = ConfigurationLoader.Load(path, [], new Dictionary<string, string?>());

        Assert.Equal([IPEndPoint.Parse("0.0.0.0:123"), IPEndPoint.Parse("[::]:123")], settings.Server.Listen);
        Assert.Equal(ClockControl.FollowKernel, settings.Clock.Control);
        Assert.NotNull(settings.Nts.KeListener);
        Assert.Equal("/etc/fastntp/keys/fleet.key", settings.Nts.KeyFile);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9123"), settings.Metrics.Listen);
    }
}
