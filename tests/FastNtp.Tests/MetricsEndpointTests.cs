using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastNtp.Protocol.Server;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>The metrics listener end to end: what /metrics and /healthz say, and that it opens nothing but Metrics:Listen.</summary>
public sealed partial class MetricsEndpointTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        _pki.Dispose();
    }

    private static ExternalProcess StartServer(int metricsPort, params string[] arguments) =>
        TestEnvironment.StartServer([.. arguments, "--metrics-listen", $"127.0.0.1:{metricsPort}"]);

    private Task<string> ScrapeAsync(int metricsPort) => _http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

    [Fact]
    public async Task Metrics_EveryDropReasonFromZeroPerListenerWithBuildInfoUptimeProcessAndRuntime()
    {
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = StartServer(metricsPort, "--listen", $"127.0.0.1:{port}", "--local-stratum", "1", "--workers", "2");
        Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);

        string metrics = await ScrapeAsync(metricsPort);
        string listener = $"listener=\"127.0.0.1:{port}\"";
        Assert.Contains($"fastntp_responses_sent_total{{{listener}}} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains($"fastntp_workers{{{listener}}} 2\n", metrics, StringComparison.Ordinal);
        foreach (DropReason reason in Enum.GetValues<DropReason>().Where(r => r != DropReason.None))
            Assert.Contains($"fastntp_requests_dropped_total{{{listener},reason=\"{reason}\"}} 0\n", metrics, StringComparison.Ordinal);
        Assert.Matches(@"fastntp_build_info\{version=""[0-9.]+""\} 1\n", metrics);
        Assert.Matches(@"fastntp_uptime_seconds [0-9.]+\n", metrics);
        // Process metrics (prometheus-net's) and runtime metrics (the System.Runtime meter).
        Assert.Matches(@"process_cpu_seconds_total [0-9.e-]+\n", metrics);
        Assert.Contains("system_runtime_dotnet_gc_collections", metrics, StringComparison.Ordinal);
        // Nothing NTS or XDP while neither runs.
        Assert.DoesNotContain("fastntp_nts", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("fastntp_xdp", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_SourceGaugesEachStateAsANumberAndNtsKeWithCertificateExpiry()
    {
        int upstreamPort = Ports.FreeUdpPort();
        using ExternalProcess upstream = TestEnvironment.StartServer("--listen", $"127.0.0.1:{upstreamPort}", "--local-stratum", "1");
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = StartServer(metricsPort,
            "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--upstream", $"127.0.0.1:{upstreamPort}",
            "--nts-ke-listen", $"127.0.0.1:{Ports.FreeTcpPort()}", "--cert", _pki.ServerCert, "--key", _pki.ServerKey);

        string source = $"address=\"127.0.0.1:{upstreamPort}\",name=\"127.0.0.1\"";
        string metrics = "";
        // The state is one series whose value changes (no new series per state): wait for the source to be selected.
        Assert.True(await Poll.UntilAsync(() =>
        {
            metrics = ScrapeAsync(metricsPort).GetAwaiter().GetResult();
            return metrics.Contains($"fastntp_source_state{{{source}}} {(int)FastNtp.Protocol.Sync.SourceState.Selected}\n", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30)), metrics);
        foreach (string gauge in new[] { "offset_seconds", "delay_seconds", "jitter_seconds", "poll_seconds", "reach", "stratum" })
            Assert.Matches($@"fastntp_source_{gauge}\{{{Regex.Escape(source)}\}} [0-9.e-]+\n", metrics);
        Assert.Single(Regex.Matches(metrics, @"^fastntp_source_state\{", RegexOptions.Multiline));

        Assert.Contains("fastntp_ntske_handshakes_total 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_handshake_failures_total{reason=\"TimedOut\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_requests_total{outcome=\"KeysIssued\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_nts_authenticated_total 0\n", metrics, StringComparison.Ordinal);
        // TestPki's certificate is valid for days: the expiry lies ahead, under a year.
        double expiry = double.Parse(ExpiryPattern().Match(metrics).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiry, 3600, 366 * 86400);
    }

    [Fact]
    public async Task Healthz_OkWhenSynchronizedAndUnavailableSayingWhyWhenNot()
    {
        int metricsPort = Ports.FreeTcpPort();
        using (ExternalProcess synchronized = StartServer(metricsPort, "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--local-stratum", "2", "--workers", "2"))
        {
            using HttpResponseMessage ok = await _http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/healthz"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("Healthy: synchronized, stratum 2; 2 of 2 workers turning\n", await ok.Content.ReadAsStringAsync());
        }

        metricsPort = Ports.FreeTcpPort();
        using ExternalProcess unsynchronized = StartServer(metricsPort, "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--workers", "1");
        using HttpResponseMessage down = await _http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("Unhealthy: not synchronized (stratum 16, leap 3); 1 of 1 workers turning\n", await down.Content.ReadAsStringAsync());
        // Alive all the same: a liveness probe must not restart a server that waits for its sources.
        using HttpResponseMessage live = await _http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/healthz/live"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy: 1 of 1 workers turning\n", await live.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Listeners_IgnoreAmbientAspNetConfiguration()
    {
        string directory = Directory.CreateTempSubdirectory("fastntp-ambient-").FullName;
        try
        {
            int kestrelPort = Ports.FreeTcpPort();
            int urlsPort = Ports.FreeTcpPort();
            int metricsPort = Ports.FreeTcpPort();
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"),
                $$"""{ "Kestrel": { "Endpoints": { "Extra": { "Url": "http://127.0.0.1:{{kestrelPort}}" } } }, "Urls": "http://127.0.0.1:{{urlsPort}}" }""");
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{urlsPort}",
                ["DOTNET_URLS"] = $"http://127.0.0.1:{urlsPort}",
                ["ASPNETCORE_HTTP_PORTS"] = urlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ASPNETCORE_Kestrel__Endpoints__Env__Url"] = $"http://127.0.0.1:{kestrelPort}",
            };
            // Started from the directory that holds appsettings.json, as a service started from its own directory would
            // be; both Kestrel listeners (metrics, NTS-KE) run.
            using var server = ExternalProcess.Start("sh",
                ["-c", $"cd '{directory}' && exec dotnet '{TestEnvironment.FastNtpDll}' serve --listen 127.0.0.1:{Ports.FreeUdpPort()} --local-stratum 1 --metrics-listen 127.0.0.1:{metricsPort}"
                    + $" --nts-ke-listen 127.0.0.1:{Ports.FreeTcpPort()} --cert '{_pki.ServerCert}' --key '{_pki.ServerKey}'"],
                environment);
            Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

            Assert.Contains("fastntp_stratum 1\n", await ScrapeAsync(metricsPort), StringComparison.Ordinal);
            foreach (int port in new[] { kestrelPort, urlsPort })
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                SocketException refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
                Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void MetricsListen_NonLoopbackIsRefusedWithoutAllowRemote()
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(
            ["serve", "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--metrics-listen", "0.0.0.0:9123"]);
        Assert.Equal(2, exit);
        Assert.Equal(
            "fastntp: --metrics-listen: 0.0.0.0:9123 is not a loopback address; set Metrics:AllowRemote to true to serve metrics beyond this host",
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task MetricsListener_KestrelClosesConnectionsBeyondMaxConnections()
    {
        int metricsPort = Ports.FreeTcpPort();
        using var server = ExternalProcess.Start("dotnet",
            [TestEnvironment.FastNtpDll, "serve", "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--local-stratum", "1", "--metrics-listen", $"127.0.0.1:{metricsPort}"],
            new Dictionary<string, string> { ["FASTNTP__METRICS__MAXCONNECTIONS"] = "1" });
        Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout), server.Output);

        using (var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await held.ConnectAsync(IPAddress.Loopback, metricsPort);
            // A request answered on it proves Kestrel counts it (accepted connections start in any order); keep-alive holds it.
            await held.SendAsync("GET /healthz/live HTTP/1.1\r\nHost: test\r\n\r\n"u8.ToArray());
            byte[] reply = new byte[1024];
            Assert.StartsWith("HTTP/1.1 200", System.Text.Encoding.ASCII.GetString(reply, 0, await held.ReceiveAsync(reply)), StringComparison.Ordinal);
            // The one allowed connection is taken: the next is accepted and closed at once, with no reply.
            using var refusedClient = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
            await Assert.ThrowsAsync<HttpRequestException>(() => refusedClient.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics")));
        }

        // Freed: scrapes work again (Kestrel notices the close on its next read).
        string metrics = "";
        Assert.True(await Poll.UntilAsync(() =>
        {
            try
            {
                metrics = ScrapeAsync(metricsPort).GetAwaiter().GetResult();
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10)));
        Assert.Contains("fastntp_stratum 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrafanaDashboard_UsesOnlyMetricsTheServerExports()
    {
        int metricsPort = Ports.FreeTcpPort();
        int upstreamPort = Ports.FreeUdpPort();
        using ExternalProcess upstream = TestEnvironment.StartServer("--listen", $"127.0.0.1:{upstreamPort}", "--local-stratum", "1");
        using ExternalProcess server = StartServer(metricsPort,
            "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--upstream", $"127.0.0.1:{upstreamPort}",
            "--nts-ke-listen", $"127.0.0.1:{Ports.FreeTcpPort()}", "--cert", _pki.ServerCert, "--key", _pki.ServerKey);
        HashSet<string> exported = [.. MetricNamePattern().Matches(await ScrapeAsync(metricsPort)).Select(m => m.Value)];
        // The XDP families need an attached program (root, a network namespace): the meter declares them all the same.
        using var meter = new FastNtp.Server.Metrics.ServerMeter(() => throw new InvalidOperationException("not collected"));
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, meter.Meter)) exported.Add($"fastntp_{instrument.Name}");
            },
        };
        listener.Start();

        string dashboard = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "deploy", "grafana", "fastntp.json"));
        string[] expressions = [.. Expressions(JsonDocument.Parse(dashboard).RootElement)];
        Assert.NotEmpty(expressions);
        string[] used = [.. expressions.SelectMany(e => MetricNamePattern().Matches(e).Select(m => m.Value)).Distinct()];
        Assert.Contains("fastntp_requests_received_total", used);
        Assert.All(used, name => Assert.Contains(name, exported));
    }

    [Fact]
    public void FastNtpBinary_KeepsEventSourceSupportSoDotnetCountersReadsTheMeter()
    {
        // PublishAot switches EventSource off by default, in the JIT build's runtimeconfig as in the native binary.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(TestEnvironment.FastNtpDll, ".runtimeconfig.json")));
        JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.GetProperty("System.Diagnostics.Tracing.EventSource.IsSupported").GetBoolean());
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (property.Name is "expr" or "query" && property.Value.ValueKind == JsonValueKind.String) yield return property.Value.GetString()!;
                foreach (string e in Expressions(property.Value)) yield return e;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
                foreach (string e in Expressions(item)) yield return e;
        }
    }

    /// <summary>Metric names as PromQL and the exposition format write them: FastNtp's, the process's and the runtime's.</summary>
    [GeneratedRegex(@"\b(?:fastntp|process|dotnet|system_runtime)_[a-z0-9_]+\b")]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex(@"fastntp_ntske_certificate_expiry_seconds ([0-9.e+]+)\n")]
    private static partial Regex ExpiryPattern();
}
