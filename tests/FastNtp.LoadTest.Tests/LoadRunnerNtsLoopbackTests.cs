using System.Net;
using FastNtp.Crypto;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;
using FastNtp.Server.Nts;
using FastNtp.Server.Tests.Nts;
using FastNtp.Tests.Shared;

namespace FastNtp.LoadTest.Tests;

/// <summary>The generator in NTS mode against an in-process NTS-KE server and NTS responder on loopback.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LoadRunnerNtsLoopbackTests : IClassFixture<LoadRunnerNtsLoopbackTests.Pki>
{
    public sealed class Pki : IDisposable
    {
        public TestPki Value { get; } = new();

        public void Dispose() => Value.Dispose();
    }

    private readonly TestPki _pki;

    public LoadRunnerNtsLoopbackTests(Pki pki)
    {
        _pki = pki.Value;
    }

    private async Task<(StepResult Step, long Authenticated)> RunAsync(AeadAlgorithm algorithm, int placeholders, Func<NtsKeResult, NtsKeResult>? tamper = null)
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        using var nts = new NtsResponder(keys.Store);
        using var ntp = new LoopbackNtpServer(new Responder(nts));
        var keSettings = new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            CertificatePath = _pki.ServerCert,
            PrivateKeyPath = _pki.ServerKey,
            NtpPort = ntp.Port,
        };
        await using var ke = new NtsKeServer(keSettings, keys.Store);
        await ke.StartAsync();

        var sessions = new List<NtsKeResult>();
        for (int t = 0; t < 2; t++)
        {
            NtsKeResult session = await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, _pki.CaCert, algorithms: [algorithm], ntpPort: ntp.Port);
            sessions.Add(tamper is null ? session : tamper(session));
        }

        var settings = new LoadSettings(new IPEndPoint(IPAddress.Loopback, ntp.Port), Clients: 4, Threads: 2,
            RateSchedule.Fixed(1000, TimeSpan.FromSeconds(0.5)), Drain: TimeSpan.FromSeconds(2), Batch: 16,
            SocketBufferBytes: 1 << 20, MaxSkew: TimeSpan.FromSeconds(10), Label: "nts", Warmup: TimeSpan.Zero,
            NtsSessions: sessions, NtsPlaceholders: placeholders, ServerPid: Environment.ProcessId);
        IReadOnlyList<StepResult> results = new LoadRunner(settings).Run(_ => { }, _ => { }, CancellationToken.None);
        return (Assert.Single(results), ntp.Totals.NtsAuthenticated);
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256, 0)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 2)]
    public async Task EveryRequest_IsAuthenticatedAndEveryReplyVerifies(AeadAlgorithm algorithm, int placeholders)
    {
        (StepResult r, long authenticated) = await RunAsync(algorithm, placeholders);
        Assert.InRange(r.Sent, 1, 500);
        Assert.Equal(r.Sent, r.Replies);
        Assert.Equal(0, r.Invalid);
        Assert.Equal(r.Sent, authenticated);
        // The "server" is this process: its CPU was sampled over the step.
        Assert.NotNull(r.ServerCpuSeconds);
        Assert.True(r.CpuWindowSeconds >= 2.5);
    }

    [Fact]
    public async Task RepliesUnderAWrongS2cKey_AreInvalidNotAnswers()
    {
        (StepResult r, long authenticated) = await RunAsync(AeadAlgorithm.AesSivCmac256, 0,
            s => s with { Agreement = s.Agreement with { S2CKey = s.S2CKey.Select(b => (byte)(b ^ 0x5A)).ToArray() } });
        Assert.True(r.Sent > 0);
        Assert.Equal(r.Sent, authenticated);
        Assert.Equal(0, r.Replies);
        Assert.Equal(r.Sent, r.Invalid);
        Assert.Equal($"NtsAuthenticationFailed={r.Sent}", r.InvalidReasons);
        Assert.Equal(100, r.LossPercent);
    }
}
