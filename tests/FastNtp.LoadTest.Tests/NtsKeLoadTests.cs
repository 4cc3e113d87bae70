using System.Net;
using FastNtp.Server.Nts;
using FastNtp.Tests.Shared;

namespace FastNtp.LoadTest.Tests;

/// <summary><c>fastntp-load ntske</c> against an in-process NTS-KE server on loopback.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NtsKeLoadTests : IClassFixture<TestPkiFixture>
{
    private readonly TestPki _pki;

    public NtsKeLoadTests(TestPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    private async Task<(NtsKeLoadResult Result, long Completed)> RunAsync(string caFile, int clients, double duration = 0.5, double rate = 0)
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        var keSettings = new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            CertificatePath = _pki.ServerCert,
            PrivateKeyPath = _pki.ServerKey,
            NtpPort = 123,
            // Every load client connects from 127.0.0.1; the per-address limits are not what this test measures.
            Limits = FastNtp.Server.Configuration.NtsKeSettings.Default with { HandshakesPerAddress = 1_000_000, MaxConnectionsPerAddress = 1024 },
        };
        await using var ke = new NtsKeServer(keSettings, keys.Store);
        await ke.StartAsync();
        var settings = new NtsKeLoadSettings(new IPEndPoint(IPAddress.Loopback, ke.LocalEndPoint.Port), clients, TimeSpan.FromSeconds(duration),
            caFile, TimeSpan.FromSeconds(5), "in-process", ServerPid: Environment.ProcessId, Rate: rate);
        var progress = new List<NtsKeProgress>();
        // Run blocks its thread until the clients finish: on a thread of its own, so the pool's few threads stay free for
        // the clients and the in-process server (on two cores a blocked pool thread can delay them past the short run).
        NtsKeLoadResult result = await Task.Factory.StartNew(
            () => new NtsKeLoadRunner(settings).Run(progress.Add, "test", "test machine", CancellationToken.None),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // The server counts an exchange once its side of the connection is done, which may trail the client a little.
        await Poll.UntilAsync(() => ke.Counters is { ActiveConnections: 0 } c && c.Exchanges.Values.Sum() + c.HandshakesFailedTotal >= result.Exchanges + result.FailureCount,
            TimeSpan.FromSeconds(5));
        return (result, ke.Counters.ExchangeCount(FastNtp.Protocol.Nts.NtsKeServerOutcome.KeysIssued));
    }

    [Fact]
    public async Task EveryExchange_CompletesWithEightCookiesAndTheServerCountsEachOne()
    {
        (NtsKeLoadResult r, long completed) = await RunAsync(_pki.CaCert, clients: 3);
        Assert.True(r.Exchanges > 0, r.DescribeFailures());
        Assert.Equal(0, r.FailureCount);
        Assert.Equal("", r.DescribeFailures());
        Assert.Equal(8 * r.Exchanges, r.Cookies);
        // Every exchange was a separate connection the server saw through to the end.
        Assert.Equal(r.Exchanges, completed);
        Assert.InRange(r.P50Nanoseconds, 1, r.MaxNanoseconds);
        Assert.True(r.P99Nanoseconds >= r.P50Nanoseconds);
        Assert.True(r.WindowSeconds >= 0.5);
        Assert.Equal(r.Exchanges / r.WindowSeconds, r.ExchangesPerSecond, 9);
        // The "server" is this process: its CPU was sampled over the run.
        Assert.NotNull(r.Server);
        Assert.NotNull(r.ServerCpuMicrosecondsPerExchange);

        using var doc = System.Text.Json.JsonDocument.Parse(r.ToJson());
        Assert.Equal("ntske", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal(r.Exchanges, doc.RootElement.GetProperty("exchanges").GetInt64());
        Assert.Equal(0, doc.RootElement.GetProperty("failures").GetInt64());
        string[] csv = r.ToCsv().TrimEnd('\n').Split('\n');
        Assert.Equal(NtsKeLoadResult.CsvHeader, csv[0]);
        Assert.Equal(csv[0].Split(',').Length, csv[1].Split(',').Length);
    }

    [Fact]
    public async Task Rate_StartsNoMoreExchangesThanItsSlots()
    {
        // 10 exchanges/s for 1 s: slots at 0, 0.1, ... 0.9 s, shared by the two clients. Back to back, these clients
        // run hundreds of exchanges a second on loopback.
        (NtsKeLoadResult r, long completed) = await RunAsync(_pki.CaCert, clients: 2, duration: 1, rate: 10);
        Assert.Equal(0, r.FailureCount);
        Assert.InRange(r.Exchanges, 1, 10);
        Assert.Equal(r.Exchanges, completed);
    }

    [Fact]
    public async Task ServerTheCaDoesNotVouchFor_FailsEveryExchangeAsTls()
    {
        using var otherCa = new TestPki();
        (NtsKeLoadResult r, long completed) = await RunAsync(otherCa.CaCert, clients: 2);
        Assert.Equal(0, r.Exchanges);
        Assert.True(r.FailureCount > 0);
        Assert.Equal([nameof(NtsKeFailure.Tls)], r.Failures.Keys);
        Assert.Equal(0, completed);
        Assert.Null(r.ServerCpuMicrosecondsPerExchange);
        Assert.StartsWith("Tls=", r.DescribeFailures(), StringComparison.Ordinal);
    }

    [Fact]
    public void PerExchangeCpu_IsSplitIntoUserAndKernel()
    {
        var r = new NtsKeLoadResult("x", "127.0.0.1:4460", 8, "m", DateTimeOffset.UnixEpoch, "c", WindowSeconds: 10, Exchanges: 5000, Cookies: 40000,
            new Dictionary<string, long> { ["Timeout"] = 2, ["Tls"] = 0 }, 1_000_000, 3_000_000, 9_000_000, CpuTimes.FromTicks(400, 100), 9.0, 1);
        Assert.Equal(500, r.ExchangesPerSecond, 9);
        Assert.Equal(1000, r.ServerCpuMicrosecondsPerExchange!.Value, 6);
        Assert.Equal(800, r.ServerUserMicrosecondsPerExchange!.Value, 6);
        Assert.Equal(200, r.ServerKernelMicrosecondsPerExchange!.Value, 6);
        Assert.Equal(50, r.ServerCpuPercent!.Value, 9);
        Assert.Equal(90, r.GeneratorCpuPercent!.Value, 9);
        Assert.Equal(2, r.FailureCount);
        Assert.Equal("Timeout=2", r.DescribeFailures());
    }

    [Theory]
    [InlineData("192.0.2.1:4460", false, 8, 10, 5, "only loopback")]
    [InlineData("127.0.0.1:0", false, 8, 10, 5, "port")]
    [InlineData("127.0.0.1:4460", false, 0, 10, 5, "--clients")]
    [InlineData("127.0.0.1:4460", false, 8, 0, 5, "--duration")]
    [InlineData("127.0.0.1:4460", false, 8, 10, 0, "--timeout")]
    [InlineData("[::1]:4460", false, 8, 598, 5, "--max-total")]
    [InlineData("127.0.0.1:4460", false, 8, 10, 5, "--rate", -1)]
    [InlineData("127.0.0.1:4460", false, 8, 10, 5, "--rate", double.NaN)]
    public void InvalidSettings_AreNamed(string target, bool allow, int clients, double duration, double timeout, string expected, double rate = 0)
    {
        string? error = NtsKeLoadSettings.Validate(IPEndPoint.Parse(target), allow, clients, TimeSpan.FromSeconds(duration),
            TimeSpan.FromSeconds(timeout), TimeSpan.FromSeconds(600), rate);
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void LoopbackSettings_AreAccepted() =>
        Assert.Null(NtsKeLoadSettings.Validate(IPEndPoint.Parse("[::1]:4460"), false, 8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(600)));
}
