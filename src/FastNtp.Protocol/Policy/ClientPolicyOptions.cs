namespace FastNtp.Protocol.Policy;

/// <summary>What a refused client gets (<c>Access:DenyAction</c>).</summary>
public enum DenyAction : byte
{
    /// <summary>Nothing.</summary>
    Drop = 0,
    /// <summary>A DENY kiss (plain requests only: an unauthenticated kiss means nothing to an NTS client).</summary>
    Kod,
}

/// <summary>
/// The <c>RateLimit</c> and <c>Access</c> settings the policy needs, with the defaults a public server can
/// live with (see the README's "public server" section). The access lists are parsed by
/// <see cref="AccessList.TryCreate"/>.
/// </summary>
public sealed record ClientPolicyOptions
{
    public const int MaxBurst = 1024;
    public const int MaxEntries = 1 << 24;

    /// <summary><c>RateLimit:Enabled</c>.</summary>
    public bool RateLimitEnabled { get; init; }

    /// <summary><c>RateLimit:Interval</c>: average time between requests a client may keep up.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>RateLimit:Burst</c>: requests a quiet client may send back to back (iburst sends 4 to 8).</summary>
    public int Burst { get; init; } = 16;

    /// <summary><c>RateLimit:KodShare</c>: share (0 to 1) of plain requests over the limit answered with RATE; the rest are dropped.</summary>
    public double KodShare { get; init; } = 0.1;

    /// <summary><c>RateLimit:Entries</c>: clients one table tracks; <see cref="ClientTable.BytesPerEntry"/> bytes each.</summary>
    public int Entries { get; init; } = 65_536;

    /// <summary><c>RateLimit:Ipv6Prefix</c>: IPv6 clients in one prefix of this length share one bucket.</summary>
    public int Ipv6Prefix { get; init; } = 64;

    /// <summary><c>Access:DenyAction</c>.</summary>
    public DenyAction DenyAction { get; init; } = DenyAction.Drop;

    /// <summary><c>Access:RequireNts</c>: refuse requests that carry no NTS cookie.</summary>
    public bool RequireNts { get; init; }

    /// <summary><c>Server:Interleaved</c>: keep each client's last reply times in the table, for interleaved mode.</summary>
    public bool Interleaved { get; init; }

    /// <summary>Every problem, one line each naming the option; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interval < TimeSpan.FromMilliseconds(1) || Interval > TimeSpan.FromDays(1))
            errors.Add($"RateLimit:Interval: {Interval.TotalSeconds} s is outside 0.001 s to 1 day.");
        if (Burst is < 1 or > MaxBurst)
            errors.Add($"RateLimit:Burst: {Burst} is outside 1 to {MaxBurst}.");
        if (KodShare is not (>= 0 and <= 1))
            errors.Add($"RateLimit:KodShare: {KodShare} is outside 0 to 1.");
        if (Entries is < ClientTable.Ways or > MaxEntries)
            errors.Add($"RateLimit:Entries: {Entries} is outside {ClientTable.Ways} to {MaxEntries}.");
        if (Ipv6Prefix is < 1 or > 128)
            errors.Add($"RateLimit:Ipv6Prefix: {Ipv6Prefix} is outside 1 to 128.");
        if (!Enum.IsDefined(DenyAction))
            errors.Add($"Access:DenyAction: {DenyAction} is neither drop nor kod.");
        return errors;
    }
}
