using System.Net;

namespace FastNtp.Server.Configuration;

public sealed class MetricsOptions
{
    public string? Listen { get; set; }
    public bool AllowRemote { get; set; }
    public int MaxConnections { get; set; } = 64;
}

/// <param name="Listen">Where the HTTP /metrics, /status, /clients and /healthz endpoint listens; null turns it off.</param>
/// <param name="MaxConnections">Open HTTP connections at most; Kestrel closes the ones beyond at once.</param>
public sealed record MetricsSettings(IPEndPoint? Listen, int MaxConnections)
{
    internal static MetricsSettings From(MetricsOptions o, SettingsErrors errors)
    {
        if (o.MaxConnections is < 1 or > 100_000) errors.Add("Metrics:MaxConnections", $"{o.MaxConnections} is not 1 to 100000");
        if (string.IsNullOrEmpty(o.Listen)) return new MetricsSettings(null, o.MaxConnections);
        if (!EndpointParser.TryParseAddress(o.Listen, 0, out IPEndPoint? endpoint) || endpoint.Port == 0)
        {
            errors.Add("Metrics:Listen", $"'{o.Listen}' is not ADDR:PORT");
            return new MetricsSettings(null, o.MaxConnections);
        }

        // The endpoint shows client addresses and the server's state to whoever connects: beyond this host only on request.
        if (!IPAddress.IsLoopback(endpoint.Address) && !o.AllowRemote)
            errors.Add("Metrics:Listen", $"{endpoint} is not a loopback address; set Metrics:AllowRemote to true to serve metrics beyond this host");
        return new MetricsSettings(endpoint, o.MaxConnections);
    }
}
