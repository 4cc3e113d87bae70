using FastNtp.Protocol.Policy;

namespace FastNtp.Server.Metrics;

/// <summary>One client (an IPv4 address or an IPv6 prefix) as /clients and `fastntp clients` show it.</summary>
/// <param name="Address">The address, or the IPv6 prefix the bucket covers, as ADDR/LENGTH.</param>
/// <param name="Mode">nts, plain, or both: what the client's requests carried.</param>
/// <param name="LastSeenSecondsAgo">Seconds since the client's latest request reached its worker.</param>
public sealed record ClientRecord(string Address, long Requests, long KodSent, long Dropped, string Mode, double LastSeenSecondsAgo);

/// <summary>The document behind /clients: the top clients by requests from the workers' rate-limit tables.</summary>
/// <param name="RateLimitEnabled">False means no table is kept and <see cref="Clients"/> is empty.</param>
/// <param name="Capacity">Clients the tables can hold together.</param>
/// <param name="Evictions">Clients that had to give up their entry to a newer one (table pressure).</param>
public sealed record ClientLogReport(
    DateTime GeneratedAt, bool RateLimitEnabled, long Capacity, long Evictions, IReadOnlyList<ClientRecord> Clients)
{
    /// <summary>How many clients /clients lists: enough to find the heavy hitters, cheap to gather.</summary>
    public const int TopCount = 100;

    /// <summary>
    /// Merges each table's top <see cref="TopCount"/> (the tables never share a client: each address is steered to
    /// one worker). The tables are read without locks while the workers write, so a row may be one request behind.
    /// </summary>
    /// <param name="now">Monotonic nanoseconds, the tables' time base.</param>
    public static ClientLogReport From(IReadOnlyList<ClientTable> tables, bool rateLimitEnabled, long now)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var rows = new List<ClientLogEntry>();
        var top = new ClientLogEntry[TopCount];
        long capacity = 0, evictions = 0;
        foreach (ClientTable table in tables)
        {
            capacity += table.Capacity;
            evictions += table.Evictions;
            rows.AddRange(top.AsSpan(0, table.CopyTop(top)));
        }

        rows.Sort((a, b) => b.Requests.CompareTo(a.Requests));
        var clients = new List<ClientRecord>(Math.Min(rows.Count, TopCount));
        foreach (ClientLogEntry row in rows.Take(TopCount))
        {
            string address = row.Prefix.IsIPv4 ? row.Prefix.ToString() : $"{row.Prefix}/{row.PrefixLength}";
            string mode = row.SeenNts ? row.SeenPlain ? "both" : "nts" : "plain";
            double ago = Math.Max(0, now - row.LastSeen) / 1e9;
            clients.Add(new ClientRecord(address, row.Requests, row.KodSent, row.Dropped, mode, Math.Round(ago, 3)));
        }

        return new ClientLogReport(DateTime.UtcNow, rateLimitEnabled, capacity, evictions, clients);
    }
}
