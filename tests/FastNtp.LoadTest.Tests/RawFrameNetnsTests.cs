using System.Text.Json;
using FastNtp.Tests.Shared;

namespace FastNtp.LoadTest.Tests;

/// <summary>
/// fastntp-load --raw end to end: two network namespaces joined by a veth pair (scripts/bench/netns-pair.sh),
/// fastntp serve in one, the generator sending raw frames from the other, for IPv4 and IPv6. Needs root.
/// </summary>
public class RawFrameNetnsTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void RawFrames_GetValidRepliesFromFastNtpServeOverIpv4AndIpv6()
    {
        string ip = ExternalProcess.RequireProgram("ip", "iproute2");
        ExternalProcess.RequireProgram("ethtool", "ethtool");
        string root = RepositoryRoot();
        string pair = Path.Combine(root, "scripts", "bench", "netns-pair.sh");
        // At most 8 characters, unique per run: the script names namespaces, devices and NAPI threads after it.
        string name = $"lt{Environment.ProcessId % 100_000}{Random.Shared.Next(10)}";
        (int up, string upOutput) = ExternalProcess.Run(pair, ["up", name], TimeSpan.FromSeconds(30));
        try
        {
            Assert.True(up == 0, "netns-pair.sh up (needs root): " + upOutput);
            using var server = ExternalProcess.Start(ip,
                ["netns", "exec", $"{name}-srv", "dotnet", Path.Combine(AppContext.BaseDirectory, "fastntp.dll"), "serve",
                 "--listen", "10.200.0.2:123", "--listen", "[fd00:200::2]:123", "--workers", "1", "--local-stratum", "1", "--user", "nobody"]);
            Assert.True(server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), StartTimeout), server.Output);

            foreach (string target in new[] { "10.200.0.2:123", "[fd00:200::2]:123" })
            {
                string json = Path.Combine(Path.GetTempPath(), $"raw-{name}-{target.Length}.json");
                try
                {
                    (int exit, string output) = ExternalProcess.Run(ip,
                        ["netns", "exec", $"{name}-gen", "dotnet", Path.Combine(AppContext.BaseDirectory, "fastntp-load.dll"),
                         "--raw", $"{name}g", "--raw-dst-mac", "02:00:00:00:00:02", "--target", target, "--allow-non-loopback",
                         "--clients", "512", "--raw-addresses", "64", "--rate", "2000", "--duration", "1", "--warmup", "0.2", "--plain", "--json", json],
                        TimeSpan.FromSeconds(60));
                    Assert.True(exit == 0, output);
                    using var run = JsonDocument.Parse(File.ReadAllText(json));
                    JsonElement step = run.RootElement.GetProperty("steps")[0];
                    long sent = step.GetProperty("sent").GetInt64();
                    long replies = step.GetProperty("replies").GetInt64();
                    Assert.True(sent >= 1_600, output);
                    // Every reply parsed, checksummed, addressed to its client and valid NTP. A rate this low keeps a
                    // 100 ms stall of a starved NAPI thread on a busy machine inside the veth's 256-frame ring, so nearly
                    // all are answered; a wrong route, MAC or checksum would lose or invalidate them all.
                    Assert.True(step.GetProperty("invalid").GetInt64() == 0, output);
                    Assert.True(replies >= sent * 0.9, output);
                }
                finally
                {
                    File.Delete(json);
                }
            }
        }
        finally
        {
            ExternalProcess.Run(pair, ["down", name], TimeSpan.FromSeconds(30));
        }
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FastNtp.sln"))) return d.FullName;
        throw new InvalidOperationException("The tests run from inside the repository (no FastNtp.sln above " + AppContext.BaseDirectory + ").");
    }
}
