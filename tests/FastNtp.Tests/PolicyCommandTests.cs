using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastNtp.Protocol.Ntp;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>The client policy end to end through `fastntp serve`: rate limit, access list, client log, one server per address.</summary>
public sealed class PolicyCommandTests
{
    private static ExternalProcess StartServer(int port, Dictionary<string, string> environment, params string[] arguments)
    {
        ExternalProcess server = TestEnvironment.StartFastNtp(
            new[] { "serve", "--listen", $"127.0.0.1:{port}", "--local-stratum", "1", "--workers", "2" }.Concat(arguments), environment);
        if (!server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout))
        {
            string output = server.Output;
            server.Dispose();
            Assert.Fail($"fastntp serve did not start: {output}");
        }

        return server;
    }

    private static byte[] Request(ulong transmit)
    {
        byte[] request = new byte[NtpHeader.Length];
        request[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(40), transmit);
        return request;
    }

    /// <summary>One request from <paramref name="source"/>; the reply's header, or null when none came within a second.</summary>
    private static NtpHeader? Ask(IPAddress source, int port)
    {
        using var client = new UdpClient(new IPEndPoint(source, 0));
        client.Client.ReceiveTimeout = 1000;
        client.Send(Request(0xABCD), new IPEndPoint(IPAddress.Loopback, port));
        try
        {
            IPEndPoint? from = null;
            Assert.True(NtpHeader.TryRead(client.Receive(ref from), out NtpHeader header));
            return header;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    [Fact]
    public void ChronydWithIburst_GetsThroughTheDefaultLimits()
    {
        Chronyd.RequireInstalled();
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = StartServer(port, new() { ["FASTNTP__RATELIMIT__ENABLED"] = "true" });

        (int exit, string output) = Chronyd.Query([$"server 127.0.0.1 port {port} iburst maxsamples 8"], timeLimitSeconds: 30);

        Assert.True(exit == 0, output);
        Assert.NotNull(Chronyd.MeasuredOffset(output));
        server.Signal("TERM");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Contains("rate-limited-kod=0 rate-limited-dropped=0", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientPollingFasterThanTheLimit_GetsRateQueryExits4AndTheClientLogShowsIt()
    {
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        // One request a minute with a burst of 2: the third of three queries a second apart is over the limit,
        // and the first request over the limit is always kissed.
        using ExternalProcess server = StartServer(port, new()
        {
            ["FASTNTP__RATELIMIT__ENABLED"] = "true",
            ["FASTNTP__RATELIMIT__INTERVAL"] = "60",
            ["FASTNTP__RATELIMIT__BURST"] = "2",
        }, "--metrics-listen", $"127.0.0.1:{metricsPort}");

        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}", "--count", "3"]);
        Assert.True(exit == 4, output);
        Assert.Contains("kiss-o'-death: RATE", output, StringComparison.Ordinal);

        (exit, output) = TestEnvironment.RunFastNtp(["clients", $"127.0.0.1:{metricsPort}"]);
        Assert.True(exit == 0, output);
        string row = Assert.Single(output.Split('\n'), l => l.StartsWith("127.0.0.1 ", StringComparison.Ordinal));
        Assert.Matches(@"^127\.0\.0\.1\s+3\s+1\s+0\s+plain\s+\d+\.\d s ago$", row);

        (exit, output) = TestEnvironment.RunFastNtp(["clients", $"127.0.0.1:{metricsPort}", "--json"]);
        Assert.True(exit == 0, output);
        JsonElement client = JsonDocument.Parse(output).RootElement.GetProperty("clients")[0];
        Assert.Equal("127.0.0.1", client.GetProperty("address").GetString());
        Assert.Equal(1, client.GetProperty("kodSent").GetInt64());

        (exit, output) = TestEnvironment.RunFastNtp(["status", $"127.0.0.1:{metricsPort}", "--json"]);
        Assert.True(exit == 0, output);
        JsonElement refused = JsonDocument.Parse(output).RootElement.GetProperty("counters").GetProperty("refused");
        Assert.Equal(1, refused.GetProperty("rateLimitedKod").GetInt64());
        Assert.Equal(0, refused.GetProperty("denied").GetInt64());
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("kod")]
    public void DeniedAddress_GetsNothingOrDenyWhileOthersAreAnswered(string action)
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess server = StartServer(port, new()
        {
            ["FASTNTP__ACCESS__DENY__0"] = "127.0.0.2",
            ["FASTNTP__ACCESS__DENYACTION"] = action,
        });

        NtpHeader? denied = Ask(IPAddress.Parse("127.0.0.2"), port);
        if (action == "drop")
        {
            Assert.Null(denied);
        }
        else
        {
            Assert.NotNull(denied);
            Assert.Equal((0, ReferenceId.Deny, 0xABCDUL), (denied.Value.Stratum, denied.Value.ReferenceId, denied.Value.OriginTime.Value));
        }

        Assert.Equal((byte)1, Ask(IPAddress.Parse("127.0.0.3"), port)?.Stratum);
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]);
        Assert.True(exit == 0, output);

        server.Signal("TERM");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Contains("answered=2 ", server.Output, StringComparison.Ordinal);
        Assert.Contains("denied=1 ", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondServerOnTheSameAddress_IsRefusedWithOneLine()
    {
        int port = Ports.FreeUdpPort();
        using ExternalProcess first = StartServer(port, []);

        (int exit, string output) = TestEnvironment.RunFastNtp(["serve", "--listen", $"127.0.0.1:{port}", "--local-stratum", "1"]);

        Assert.Equal(2, exit);
        // Log lines of what started before the bind may precede it; the refusal itself is one line.
        string line = Assert.Single(output.Split('\n'), l => l.StartsWith("fastntp:", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port} is already served by another process", line, StringComparison.Ordinal);
        // The first server keeps all of its traffic.
        for (int i = 0; i < 10; i++) Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}"]).ExitCode);
    }

    [Fact]
    public async Task RefusalCounters_StartAtZeroInMetrics()
    {
        int port = Ports.FreeUdpPort();
        int metricsPort = Ports.FreeTcpPort();
        using ExternalProcess server = StartServer(port, [], "--metrics-listen", $"127.0.0.1:{metricsPort}");
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        foreach (string outcome in new[] { "rate_limited_kod", "rate_limited_dropped", "denied", "nts_required" })
            Assert.Contains($"fastntp_requests_refused_total{{listener=\"127.0.0.1:{port}\",outcome=\"{outcome}\"}} 0\n", metrics, StringComparison.Ordinal);

        (int exit, string output) = TestEnvironment.RunFastNtp(["clients", $"127.0.0.1:{metricsPort}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("RateLimit:Enabled", output, StringComparison.Ordinal);
    }
}
