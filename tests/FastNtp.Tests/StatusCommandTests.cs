using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>The monitoring endpoint (--metrics-listen) and `fastntp status` that reads it.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public async Task StatusAndMetrics_ReportTheAdvertisedStateAndCounters()
    {
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = TestEnvironment.StartServer(
            "--listen", $"127.0.0.1:{port}", "--local-stratum", "1", "--metrics-listen", $"127.0.0.1:{metricsPort}");
        Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);

        // A name works as well as an address.
        (int exit, string output) = TestEnvironment.RunFastNtp(["status", $"localhost:{metricsPort}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("advertising: synchronized stratum 1 refid LOCL leap 0", output, StringComparison.Ordinal);
        Assert.Contains("received=1 answered=1", output, StringComparison.Ordinal);

        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        Assert.Contains($"fastntp_responses_sent_total{{listener=\"127.0.0.1:{port}\"}} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_stratum 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_synchronized 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_FailsClearlyWhenNothingListens()
    {
        int metricsPort = Ports.FreeTcpPort();
        (int exit, string output) = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}"]);
        Assert.Equal(3, exit);
        Assert.Contains($"no status from 127.0.0.1:{metricsPort}", output, StringComparison.Ordinal);
    }
}
