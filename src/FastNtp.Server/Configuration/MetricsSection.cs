using System.Net;

namespace FastNtp.Server.Configuration;

public sealed class MetricsOptions
{
    public string? Listen { get; set; }
}

/// <param name="Listen">Where the HTTP /metrics and /status endpoint listens; null turns it off.</param>
public sealed record MetricsSettings(IPEndPoint? Listen)
{
    internal static MetricsSettings From(MetricsOptions o, SettingsErrors errors)
    {
        if (string.IsNullOrEmpty(o.Listen)) return new MetricsSettings((IPEndPoint?)null);
        if (EndpointParser.TryParseAddress(o.Listen, 0, out IPEndPoint? endpoint) && endpoint.Port != 0) return new MetricsSettings(endpoint);
        errors.Add("Metrics:Listen", $"'{o.Listen}' is not ADDR:PORT");
        return new MetricsSettings((IPEndPoint?)null);
    }
}
