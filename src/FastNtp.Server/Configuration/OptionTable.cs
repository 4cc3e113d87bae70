namespace FastNtp.Server.Configuration;

/// <summary>One configuration key: the command-line option that sets it (if any) and what it means.</summary>
/// <param name="Key">Section:Key as in the JSON file.</param>
/// <param name="Option">The `fastntp serve` option, or null for keys set only by file or environment.</param>
/// <param name="Description">One line for `--help` and the README's table.</param>
/// <param name="IsList">A repeatable option; its keys are Section:Key:0, Section:Key:1 ...</param>
/// <param name="Value">What `--help` shows for the option's value, such as ADDR:PORT.</param>
public sealed record OptionRow(string Key, string? Option, string Description, bool IsList = false, string? Value = null)
{
    /// <summary>The environment variable for the key (for a list, its first item).</summary>
    public string EnvironmentVariable =>
        ConfigurationLoader.EnvironmentPrefix + Key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant() + (IsList ? "__0" : "");
}

/// <summary>
/// The one map between configuration keys and command-line options. `fastntp serve` builds its options from
/// it, error lines name the option from it, and a test holds the README's configuration table to it.
/// A new setting is a row here, a property in its section and its check in the section's validation.
/// </summary>
public static class OptionTable
{
    public static IReadOnlyList<OptionRow> Rows { get; } =
    [
        new("Server:Listen", "--listen", "ADDR:PORT to answer on, repeatable ([ADDR]:PORT for IPv6); default 0.0.0.0:123 and [::]:123", IsList: true, Value: "ADDR:PORT"),
        new("Server:Workers", "--workers", "worker threads per address; 0 (default) means one per core", Value: "N"),
        new("Server:LocalStratum", "--local-stratum", "serve the local clock at this stratum (1-15) while no upstream is selected", Value: "N"),
        new("Server:PinWorkers", null, "pin each worker thread to its own core (Linux engine); default false"),
        new("Server:Engine", null, "packet engine: auto (default; linux where supported), linux or portable"),
        new("Server:User", "--user", "started as root: become this user once every socket is bound and every key read (keeping only CAP_SYS_TIME for Clock:Control kernel)", Value: "NAME"),
        new("Server:AllowRoot", null, "started as root without Server:User: keep serving as root instead of refusing to start; default false"),
        new("Server:Interleaved", null, "answer interleaved requests (chrony's xleave) with the previous reply's kernel transmit time (Linux engine); default false"),
        new("Server:Xdp:Interfaces", "--xdp", "network interface on which plain NTP is answered in the driver (XDP), repeatable", IsList: true, Value: "IFACE"),
        new("Server:Xdp:Mode", null, "XDP attach mode: auto (default; native where the driver supports it), native or generic"),
        new("Server:Xdp:AfXdp", null, "with --xdp: NTS and other extension-field requests reach the responder through AF_XDP sockets; default true"),
        new("Server:Xdp:Queues", null, "with AF_XDP: receive queues 0 to N-1 of each interface get a socket and a worker thread; default 1"),
        new("Server:Xdp:FrameCount", null, "with AF_XDP: frames (4 KiB each) in each socket's UMEM, a power of two; default 4096"),
        new("Server:Xdp:Copy", null, "with AF_XDP: auto (default; zero-copy where the driver offers it), copy or zero-copy"),
        new("Server:HwTimestamp:Interfaces", null, "network interface whose NIC timestamps NTP packets in hardware (needs a PTP hardware clock: ethtool -T IFACE), repeatable; one that cannot keeps software timestamps", IsList: true),
        new("Sync:Upstream", "--upstream", "HOST[:PORT][,nts] upstream source, repeatable", IsList: true, Value: "HOST[:PORT][,nts]"),
        new("Sync:MinPoll", null, "shortest upstream poll interval, log2 seconds; default 6"),
        new("Sync:MaxPoll", null, "longest upstream poll interval, log2 seconds; default 10"),
        new("Sync:MinSources", null, "agreeing sources required to be synchronized; default 1 with one source, else 2"),
        new("Sync:NtsCa", null, "PEM CA bundle NTS upstreams must chain to; default the system store"),
        new("Clock:Control", null, "none (default: observe only), kernel (discipline the system clock) or follow-kernel"),
        new("Clock:MaxOffset", null, "with control none: largest offset, seconds, still advertised as synchronized; default 0.010"),
        new("Clock:StepThreshold", null, "with control kernel: a start-up offset above this many seconds is stepped; default 0.128"),
        new("Clock:PanicThreshold", null, "with control kernel: an offset above this many seconds is never corrected; default 1000"),
        new("Clock:Stratum", null, "with control follow-kernel: the stratum to advertise; default 1"),
        new("Clock:ReferenceId", null, "with control follow-kernel: the reference id to advertise (1-4 ASCII characters); default GPS"),
        new("Clock:LeapFile", null, "IANA leap-seconds.list (e.g. /usr/share/zoneinfo/leap-seconds.list): leap announcements and TAI-UTC; unset: from upstream"),
        new("Clock:LeapSmear", null, "with a leap file: smear leap seconds linearly over Clock:LeapSmearWindow instead of announcing them; default false"),
        new("Clock:LeapSmearWindow", null, "the smear's window, centred on the leap (noon to noon); default 1.00:00:00 (24 h)"),
        new("Nts:KeListen", "--nts-ke-listen", "ADDR:PORT for NTS-KE (TLS 1.3), usually port 4460; unset: no NTS-KE", Value: "ADDR:PORT"),
        new("Nts:Cert", "--cert", "NTS-KE certificate chain (PEM); refused outside its validity window", Value: "PEM"),
        new("Nts:Key", "--key", "NTS-KE private key (PEM); refused when group or others may read it", Value: "PEM"),
        new("Nts:KeyFile", "--nts-key-file", "fleet root secret for NTS cookies (fastntp keygen; refused when group or others may read it); unset: a random in-memory secret", Value: "FILE"),
        new("Nts:Rotation", null, "cookie key lifetime; default 1.00:00:00 (one day)"),
        new("Nts:StaleEpochs", null, "previous cookie key epochs still accepted; default 7"),
        new("Nts:NtpServer", null, "NTP server name NTS-KE hands out when NTP is served elsewhere"),
        new("Nts:NtpPort", null, "NTP port NTS-KE hands out; default the first --listen port when not 123"),
        new("Metrics:Listen", "--metrics-listen", "ADDR:PORT for the HTTP /metrics, /status, /clients and /healthz endpoint; unset: off", Value: "ADDR:PORT"),
        new("Metrics:AllowRemote", null, "let Metrics:Listen be an address other than loopback (the endpoint shows clients and state); default false"),
        new("Metrics:MaxConnections", null, "open HTTP connections to the metrics endpoint at most; default 64"),
        new("RateLimit:Enabled", null, "per-client rate limiting (token bucket per address or IPv6 prefix); default false"),
        new("RateLimit:Interval", null, "seconds between requests a client may keep up on average; default 2"),
        new("RateLimit:Burst", null, "requests a quiet client may send back to back (iburst sends 4-8); default 16"),
        new("RateLimit:KodShare", null, "share (0-1) of plain requests over the limit answered with a RATE kiss, the rest dropped; default 0.1"),
        new("RateLimit:Entries", null, "clients tracked, all workers together, 64 bytes each; default 65536 (4 MiB)"),
        new("RateLimit:Ipv6Prefix", null, "IPv6 clients within one prefix of this length share a bucket; default 64"),
        new("Access:Allow", null, "CIDR prefix allowed (IPv4 or IPv6), repeatable; when any is set, only these; longest prefix wins", IsList: true),
        new("Access:Deny", null, "CIDR prefix denied (IPv4 or IPv6), repeatable; longest prefix wins", IsList: true),
        new("Access:DenyAction", null, "what refused clients get: drop (default, nothing) or kod (a DENY kiss to plain requests)"),
        new("Access:RequireNts", null, "refuse requests without an NTS cookie (needs NTS); default false"),
        new("NtsKe:MaxConnections", null, "open NTS-KE connections at most, all clients together; default 1024"),
        new("NtsKe:MaxConnectionsPerAddress", null, "open NTS-KE connections one address (IPv6: one /64) may hold; default 8"),
        new("NtsKe:HandshakesPerAddress", null, "NTS-KE handshakes one address may start per NtsKe:HandshakeWindow; default 16"),
        new("NtsKe:HandshakeWindow", null, "seconds over which NtsKe:HandshakesPerAddress refill; default 60"),
        new("NtsKe:HandshakeTimeout", null, "seconds from accept until the TLS handshake is done; default 3"),
        new("NtsKe:RequestTimeout", null, "seconds from the handshake until the whole request has arrived; default 2"),
        new("Logging:LogLevel:Default", "--log-level", "least level logged: Trace, Debug, Information (default), Warning, Error, Critical or None; Logging:LogLevel:CATEGORY sets one logger category (FastNtp.Sync)", Value: "LEVEL"),
    ];

    private const string LogLevelSection = "Logging:LogLevel";

    private static readonly Dictionary<string, OptionRow> ByKey = Rows.ToDictionary(r => r.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the configuration reads <paramref name="key"/>: a row's key, an item of a list row, a logging
    /// category's level (Logging:LogLevel:CATEGORY), or a section (written empty).
    /// </summary>
    public static bool IsKnown(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (ByKey.TryGetValue(ListKey(key), out OptionRow? row)) return row.IsList || ListKey(key) == key;
        if (key.StartsWith(LogLevelSection + ":", StringComparison.OrdinalIgnoreCase)) return key.IndexOf(':', LogLevelSection.Length + 1) < 0;
        return KeysOf(key).Count > 0;
    }

    /// <summary>
    /// <paramref name="key"/> spelt as the table spells it, segment by segment where a segment is known
    /// (FASTNTP__SERVER__WORKERS arrives as SERVER:WORKERS and reads Server:Workers); other segments stay as given.
    /// </summary>
    public static string Spelling(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string[] segments = key.Split(':');
        string section = "";
        for (int i = 0; i < segments.Length; i++)
        {
            string? known = KeysOf(section).FirstOrDefault(k => string.Equals(k, segments[i], StringComparison.OrdinalIgnoreCase));
            if (known is null) break;
            segments[i] = known;
            section = section.Length == 0 ? known : $"{section}:{known}";
        }

        return string.Join(':', segments);
    }

    /// <summary>The keys and subsections directly under <paramref name="section"/> ("" for the top-level sections), in table order.</summary>
    public static IReadOnlyList<string> KeysOf(string section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var names = new List<string>();
        string prefix = section.Length == 0 ? "" : section + ":";
        foreach (OptionRow row in Rows)
        {
            if (!row.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            string rest = row.Key[prefix.Length..];
            int colon = rest.IndexOf(':');
            string name = colon < 0 ? rest : rest[..colon];
            if (!names.Contains(name)) names.Add(name);
        }

        return names;
    }

    /// <summary>What an error line starts with: the option an operator would have typed, else the key.</summary>
    public static string Label(string key) =>
        ByKey.TryGetValue(ListKey(key), out OptionRow? row) && row.Option is not null ? row.Option : key;

    /// <summary>The option and the exact key, for errors the binder reports at a key such as Server:Listen:1.</summary>
    public static string Describe(string key) =>
        ByKey.TryGetValue(ListKey(key), out OptionRow? row) && row.Option is not null ? $"{row.Option} ({key})" : key;

    /// <summary>List items bind as Section:Key:N; the row is the list's.</summary>
    private static string ListKey(string key)
    {
        int last = key.LastIndexOf(':');
        return last > 0 && int.TryParse(key.AsSpan(last + 1), out _) ? key[..last] : key;
    }
}
