namespace FastNtp.Server.Configuration;

public sealed class NtsKeOptions
{
    public int MaxConnections { get; set; } = 1024;
    public int MaxConnectionsPerAddress { get; set; } = 8;
    public int HandshakesPerAddress { get; set; } = 16;
    public double HandshakeWindow { get; set; } = 60;
    public double HandshakeTimeout { get; set; } = 3;
    public double RequestTimeout { get; set; } = 2;
}

/// <param name="MaxConnections">Open NTS-KE connections at most, all clients together.</param>
/// <param name="MaxConnectionsPerAddress">Open connections one client address (IPv6: one /64) may hold.</param>
/// <param name="HandshakesPerAddress">TLS handshakes one client address may start per <paramref name="HandshakeWindow"/>.</param>
/// <param name="HandshakeWindow">The period over which <paramref name="HandshakesPerAddress"/> refill.</param>
/// <param name="HandshakeTimeout">From accept until the TLS handshake is done.</param>
/// <param name="RequestTimeout">From the end of the handshake until the whole request has arrived.</param>
public sealed record NtsKeSettings(
    int MaxConnections, int MaxConnectionsPerAddress, int HandshakesPerAddress, TimeSpan HandshakeWindow,
    TimeSpan HandshakeTimeout, TimeSpan RequestTimeout)
{
    /// <summary>The defaults of <see cref="NtsKeOptions"/>.</summary>
    public static NtsKeSettings Default { get; } = From(new NtsKeOptions(), new SettingsErrors());

    internal static NtsKeSettings From(NtsKeOptions o, SettingsErrors errors)
    {
        if (o.MaxConnections is < 1 or > 1_000_000) errors.Add("NtsKe:MaxConnections", $"{o.MaxConnections} is not 1 to 1000000");
        if (o.MaxConnectionsPerAddress < 1 || o.MaxConnectionsPerAddress > o.MaxConnections)
            errors.Add("NtsKe:MaxConnectionsPerAddress", $"{o.MaxConnectionsPerAddress} is not 1 to NtsKe:MaxConnections ({o.MaxConnections})");
        if (o.HandshakesPerAddress is < 1 or > 1_000_000) errors.Add("NtsKe:HandshakesPerAddress", $"{o.HandshakesPerAddress} is not 1 to 1000000");
        return new NtsKeSettings(o.MaxConnections, o.MaxConnectionsPerAddress, o.HandshakesPerAddress,
            Seconds(o.HandshakeWindow, "NtsKe:HandshakeWindow", 60, TimeSpan.FromDays(1), errors),
            Seconds(o.HandshakeTimeout, "NtsKe:HandshakeTimeout", 3, TimeSpan.FromMinutes(5), errors),
            Seconds(o.RequestTimeout, "NtsKe:RequestTimeout", 2, TimeSpan.FromMinutes(5), errors));
    }

    private static TimeSpan Seconds(double value, string key, double fallback, TimeSpan max, SettingsErrors errors)
    {
        if (double.IsFinite(value) && value >= 0.01 && value <= max.TotalSeconds) return TimeSpan.FromSeconds(value);
        errors.Add(key, $"{value} is not 0.01 to {max.TotalSeconds} seconds");
        return TimeSpan.FromSeconds(fallback);
    }
}
