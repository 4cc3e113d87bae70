namespace FastNtp.Server.Configuration;

public sealed class RateLimitOptions
{
    public bool Enabled { get; set; }
    public double Interval { get; set; } = 2;
    public int Burst { get; set; } = 16;
    public double KodShare { get; set; } = 0.1;
    public int Entries { get; set; } = 65_536;
    public int Ipv6Prefix { get; set; } = 64;
}

/// <param name="Enabled">Per-client token buckets are kept and enforced.</param>
/// <param name="Interval">Average time between requests a client may keep up.</param>
/// <param name="Burst">Requests a quiet client may send back to back.</param>
/// <param name="KodShare">Share (0 to 1) of plain requests over the limit answered with a RATE kiss; the rest are dropped.</param>
/// <param name="Entries">Clients tracked across all workers (each worker's table holds its share).</param>
/// <param name="Ipv6Prefix">IPv6 clients in one prefix of this length share one bucket.</param>
/// <remarks>Range checks are <see cref="Protocol.Policy.ClientPolicyOptions.Validate"/>'s, run on the combined policy.</remarks>
public sealed record RateLimitSettings(bool Enabled, TimeSpan Interval, int Burst, double KodShare, int Entries, int Ipv6Prefix)
{
    internal static RateLimitSettings From(RateLimitOptions o, SettingsErrors errors)
    {
        var interval = TimeSpan.FromSeconds(2);
        if (double.IsFinite(o.Interval) && Math.Abs(o.Interval) <= TimeSpan.FromDays(2).TotalSeconds) interval = TimeSpan.FromSeconds(o.Interval);
        else errors.Add("RateLimit:Interval", $"{o.Interval} is not a number of seconds");
        return new RateLimitSettings(o.Enabled, interval, o.Burst, o.KodShare, o.Entries, o.Ipv6Prefix);
    }
}
