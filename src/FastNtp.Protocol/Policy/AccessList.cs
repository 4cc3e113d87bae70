using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastNtp.Protocol.Policy;

/// <summary>
/// <c>Access:Allow</c> and <c>Access:Deny</c>: CIDR prefixes, the longest one matching a client decides. A client
/// no prefix matches is allowed when the allow list is empty and denied otherwise (a non-empty allow list
/// means "only these"). IPv4 and IPv6 are separate spaces: IPv6 prefixes (even ::/0) never match IPv4 clients,
/// and IPv4-mapped prefixes (::ffff:a.b.c.d/n, n ≥ 96) are IPv4 prefixes. Lookups allocate nothing.
/// </summary>
public sealed class AccessList
{
    public const string AllowOption = "Access:Allow";
    public const string DenyOption = "Access:Deny";

    private readonly PrefixTable _ipv4;
    private readonly PrefixTable _ipv6;
    private readonly bool _allowUnmatched;

    private AccessList(PrefixTable ipv4, PrefixTable ipv6, bool allowUnmatched)
    {
        _ipv4 = ipv4;
        _ipv6 = ipv6;
        _allowUnmatched = allowUnmatched;
    }

    /// <summary>No prefixes: everyone is allowed.</summary>
    public static AccessList AllowAll { get; } = new(PrefixTable.Empty, PrefixTable.Empty, allowUnmatched: true);

    /// <summary>True when no prefix is configured, so the policy can skip the lookup.</summary>
    public bool IsEmpty => _allowUnmatched && _ipv4.IsEmpty && _ipv6.IsEmpty;

    public bool IsAllowed(in ClientAddress client)
    {
        PrefixTable table = client.IsIPv4 ? _ipv4 : _ipv6;
        return table.TryMatch(client, out bool allow) ? allow : _allowUnmatched;
    }

    /// <summary>
    /// Builds the list, or reports every bad entry as one line naming the option and its index
    /// (<c>Access:Deny[2]: ...</c>) for the configuration layer to print.
    /// </summary>
    public static bool TryCreate(
        IReadOnlyList<string> allow, IReadOnlyList<string> deny, out AccessList list, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(allow);
        ArgumentNullException.ThrowIfNull(deny);
        var problems = new List<string>();
        var rules = new Dictionary<(ClientAddress Prefix, int Length), bool>();
        var sources = new Dictionary<(ClientAddress Prefix, int Length), string>();
        Add(allow, AllowOption, isAllow: true);
        Add(deny, DenyOption, isAllow: false);

        if (problems.Count > 0)
        {
            list = AllowAll;
            errors = problems;
            return false;
        }

        var ipv4 = new List<PrefixTable.Rule>();
        var ipv6 = new List<PrefixTable.Rule>();
        foreach (KeyValuePair<(ClientAddress Prefix, int Length), bool> rule in rules)
        {
            var entry = new PrefixTable.Rule(rule.Key.Prefix, rule.Key.Length, rule.Value);
            (rule.Key.Prefix.IsIPv4 && rule.Key.Length >= ClientAddress.Ipv4MappedPrefixLength ? ipv4 : ipv6).Add(entry);
        }

        list = new AccessList(PrefixTable.Create(ipv4), PrefixTable.Create(ipv6), allowUnmatched: allow.Count == 0);
        errors = [];
        return true;

        void Add(IReadOnlyList<string> entries, string option, bool isAllow)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                string where = $"{option}[{i}]";
                if (!TryParsePrefix(entries[i], out ClientAddress prefix, out int length, out string? error))
                {
                    problems.Add($"{where}: {error}");
                    continue;
                }

                if (rules.TryGetValue((prefix, length), out bool existing))
                {
                    if (existing != isAllow)
                        problems.Add($"{where}: '{entries[i]}' is also in {sources[(prefix, length)]}; a prefix is either allowed or denied.");
                    continue;
                }

                rules.Add((prefix, length), isAllow);
                sources.Add((prefix, length), where);
            }
        }
    }

    /// <summary>
    /// Parses <c>ADDRESS</c> or <c>ADDRESS/LENGTH</c>. The prefix comes back in the 128-bit space of
    /// <see cref="ClientAddress"/>: an IPv4 /n is ::ffff:a.b.c.d/(96 + n). Host bits set below the prefix
    /// length are an error, since the operator's intent (a network or one host) is then unclear.
    /// </summary>
    public static bool TryParsePrefix(string? text, out ClientAddress prefix, out int length, out string? error)
    {
        prefix = default;
        length = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an empty entry; expected an address or ADDRESS/LENGTH.";
            return false;
        }

        string trimmed = text.Trim();
        int slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || addressText.Contains('%', StringComparison.Ordinal) ||
            !(addressText.Contains(':', StringComparison.Ordinal) || IsDottedQuad(addressText)))
        {
            error = $"'{text}' is not an IP address or CIDR prefix.";
            return false;
        }

        bool ipv4 = address.AddressFamily == AddressFamily.InterNetwork;
        int maximum = ipv4 ? 32 : 128;
        int written = maximum;
        if (slash >= 0 && !(int.TryParse(trimmed.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out written) &&
                            written <= maximum))
        {
            error = $"'{text}': the prefix length must be a number from 0 to {maximum} for {(ipv4 ? "IPv4" : "IPv6")}.";
            return false;
        }

        var full = ClientAddress.FromIPAddress(address);
        int wide = ipv4 ? ClientAddress.Ipv4MappedPrefixLength + written : written;
        ClientAddress masked = full.Mask(wide);
        if (masked != full)
        {
            error = $"'{text}' has host bits set; the network is {masked}/{written}.";
            return false;
        }

        // ::ffff:a.b.c.d/96 and longer are IPv4 prefixes written the IPv6 way; shorter ones stay IPv6.
        prefix = masked;
        length = wide;
        error = null;
        return true;
    }

    /// <summary>IPAddress.TryParse also takes "10" or "10.1" (inet_aton forms); a configuration wants four parts.</summary>
    private static bool IsDottedQuad(string text) => text.AsSpan().Count('.') == 3;

    /// <summary>Prefixes grouped by length, longest first, each group sorted for a binary search.</summary>
    private sealed class PrefixTable
    {
        internal readonly record struct Rule(ClientAddress Prefix, int Length, bool Allow);

        private readonly int[] _lengths;
        private readonly int[] _groupEnds;
        private readonly ClientAddress[] _prefixes;
        private readonly bool[] _allow;

        private PrefixTable(int[] lengths, int[] groupEnds, ClientAddress[] prefixes, bool[] allow)
        {
            _lengths = lengths;
            _groupEnds = groupEnds;
            _prefixes = prefixes;
            _allow = allow;
        }

        public static PrefixTable Empty { get; } = new([], [], [], []);

        public bool IsEmpty => _prefixes.Length == 0;

        public static PrefixTable Create(List<Rule> rules)
        {
            rules.Sort(static (a, b) =>
                a.Length != b.Length ? b.Length.CompareTo(a.Length) : ClientAddress.Compare(a.Prefix, b.Prefix));
            var lengths = new List<int>();
            var ends = new List<int>();
            for (int i = 0; i < rules.Count; i++)
            {
                if (i + 1 == rules.Count || rules[i + 1].Length != rules[i].Length)
                {
                    lengths.Add(rules[i].Length);
                    ends.Add(i + 1);
                }
            }

            return new PrefixTable(
                [.. lengths], [.. ends], rules.ConvertAll(r => r.Prefix).ToArray(), rules.ConvertAll(r => r.Allow).ToArray());
        }

        public bool TryMatch(in ClientAddress client, out bool allow)
        {
            int start = 0;
            for (int group = 0; group < _lengths.Length; group++)
            {
                int end = _groupEnds[group];
                int found = Find(client.Mask(_lengths[group]), start, end);
                if (found >= 0)
                {
                    allow = _allow[found];
                    return true;
                }

                start = end;
            }

            allow = false;
            return false;
        }

        private int Find(in ClientAddress key, int low, int high)
        {
            while (low < high)
            {
                int middle = (int)((uint)(low + high) >> 1);
                int order = ClientAddress.Compare(_prefixes[middle], key);
                if (order == 0) return middle;
                if (order < 0) low = middle + 1;
                else high = middle;
            }

            return -1;
        }
    }
}
