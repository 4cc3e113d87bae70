namespace FastNtp.Server.Tests;

/// <summary>What /metrics would serve for a report: the server's meter exported through its own registry.</summary>
internal static class MeterScrape
{
    public static async Task<string> TextAsync(Func<StatusReport> report)
    {
        using var meter = new ServerMeter(report);
        Prometheus.CollectorRegistry registry = MetricsServer.CreateRegistry(meter.Meter, out IDisposable adapter);
        using (adapter)
        {
            using var text = new MemoryStream();
            await registry.CollectAndExportAsTextAsync(text);
            return System.Text.Encoding.UTF8.GetString(text.ToArray());
        }
    }
}
