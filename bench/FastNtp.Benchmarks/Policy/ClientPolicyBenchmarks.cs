using BenchmarkDotNet.Attributes;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;

namespace FastNtp.Benchmarks.Policy;

/// <summary>
/// The per-request cost of the client policy: a rate-limit table hit (one busy client, and clients spread over
/// a large table as a public server sees them), a miss that evicts from a full table, an access-list lookup,
/// and the whole decision with a kiss written. Each benchmark runs 1024 requests per invocation.
/// </summary>
[MemoryDiagnoser]
public class ClientPolicyBenchmarks
{
    private const int Requests = 1024;
    private const int Entries = 65_536;
    private const long Millisecond = 1_000_000;

    private readonly byte[] _request = new byte[48];
    private readonly byte[] _response = new byte[48];
    private readonly ClientAddress[] _known = new ClientAddress[Entries / 2];
    private readonly ClientAddress[] _ipv6 = new ClientAddress[Requests];
    private ClientPolicy _limiter = null!;
    private ClientPolicy _full = null!;
    private ClientPolicy _everything = null!;
    private AccessList _access = null!;
    private uint _fresh;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        var limited = new ClientPolicyOptions { RateLimitEnabled = true, Entries = Entries, KodShare = 0.1 };
        _limiter = new ClientPolicy(limited, AccessList.AllowAll, seed: 42);
        _full = new ClientPolicy(limited, AccessList.AllowAll, seed: 43);

        var allow = new List<string> { "0.0.0.0/0", "::/0" };
        var deny = new List<string>();
        for (int i = 0; i < 64; i++) deny.Add($"10.{i}.0.0/16");
        for (int i = 0; i < 32; i++) deny.Add($"172.16.{i}.0/24");
        for (int i = 0; i < 32; i++) deny.Add($"192.168.{i}.{i * 4}/30");
        for (int i = 0; i < 32; i++) deny.Add($"2001:db8:{i:x}::/48");
        if (!AccessList.TryCreate(allow, deny, out _access, out IReadOnlyList<string> errors))
            throw new InvalidOperationException(string.Join('\n', errors));
        _everything = new ClientPolicy(limited with { DenyAction = DenyAction.Kod }, _access, seed: 44);

        var random = new Random(1);
        for (int i = 0; i < _known.Length; i++) _known[i] = ClientAddress.FromIPv4((uint)random.Next());
        for (int i = 0; i < _ipv6.Length; i++) _ipv6[i] = new ClientAddress(0x2001_0db8_0000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
        _now = 1_000_000 * Millisecond;
        foreach (ClientAddress client in _known) _limiter.Decide(client, nts: false, _now);
        // Fill the second table completely, so every new client below evicts.
        for (uint i = 0; i < 4 * Entries; i++) _full.Decide(ClientAddress.FromIPv4(0x0100_0000 + i), nts: false, _now);
        _fresh = 0x4000_0000;
        new NtpHeader { Version = 4, Mode = NtpMode.Client, TransmitTime = NtpTimestamp.FromParts(1, 2) }.Write(_request);
    }

    /// <summary>One client over and over: the entry stays in L1.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Requests)]
    public int HitOneClient()
    {
        int allowed = 0;
        ClientAddress client = _known[0];
        for (int i = 0; i < Requests; i++)
        {
            _now += Millisecond;
            if (_limiter.Decide(client, nts: false, _now) == PolicyDecision.Allow) allowed++;
        }

        return allowed;
    }

    /// <summary>Known clients in random order over a table of 65536 (4 MiB): cache misses as on a busy server.</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public int HitSpreadClients()
    {
        int allowed = 0;
        int start = (int)(_now / Millisecond % (_known.Length - Requests));
        for (int i = 0; i < Requests; i++)
        {
            _now += Millisecond;
            if (_limiter.Decide(_known[start + i], nts: false, _now) == PolicyDecision.Allow) allowed++;
        }

        return allowed;
    }

    /// <summary>A new client each request on a full table: find the set's oldest entry and replace it.</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public int MissEvictFullTable()
    {
        int allowed = 0;
        for (int i = 0; i < Requests; i++)
        {
            _now += Millisecond;
            if (_full.Decide(ClientAddress.FromIPv4(_fresh++), nts: false, _now) == PolicyDecision.Allow) allowed++;
        }

        return allowed;
    }

    /// <summary>Longest-prefix match over 160 IPv4 and 33 IPv6 prefixes in 5 lengths, IPv4 and IPv6 clients alternating.</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public int AccessListLookup()
    {
        int allowed = 0;
        for (int i = 0; i < Requests; i++)
        {
            if (_access.IsAllowed((i & 1) == 0 ? _known[i] : _ipv6[i])) allowed++;
        }

        return allowed;
    }

    /// <summary>Access list, rate limit and, when due, a kiss written: what a worker pays per request.</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public int WholeDecisionWithKiss()
    {
        int bytes = 0;
        int start = (int)(_now / Millisecond % (_known.Length - Requests));
        for (int i = 0; i < Requests; i++)
        {
            _now += 100_000;
            ClientAddress client = (i & 7) == 0 ? _known[0] : _known[start + i];
            PolicyDecision decision = _everything.Decide(client, nts: false, _now);
            bytes += _everything.WriteKiss(decision, _request, _response);
        }

        return bytes;
    }
}
