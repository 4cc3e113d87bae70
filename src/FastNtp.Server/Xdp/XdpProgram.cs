using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Xdp;

/// <summary>
/// The driver-path NTP responder (Bpf/fastntp_xdp.c) loaded into the kernel: configured for the listen
/// endpoints at load, fed the server state through <see cref="State"/>, attached to interfaces by links.
/// </summary>
public sealed class XdpProgram : IDisposable
{
    internal const string ResourceName = "FastNtp.Server.Xdp.fastntp_xdp.o";
    private const string ProgramName = "fastntp_xdp";
    private const string StateMapName = "fastntp_state";
    private const string CountersMapName = "fastntp_counters";
    private const string XskSlotsMapName = "fastntp_xsk_slots";
    private const string XsksMapName = "fastntp_xsks";
    /// <summary>FASTNTP_MAX_INTERFACES and FASTNTP_MAX_QUEUES of fastntp_xdp.h: the XSKMAP's shape.</summary>
    internal const int MaxXskInterfaces = 8;
    internal const int MaxXskQueues = 64;
    private const string AccessV4MapName = "fastntp_access_v4";
    private const string AccessV6MapName = "fastntp_access_v6";
    private const string ClientsMapName = "fastntp_clients";
    /// <summary>mmap works in whole pages; the state is far smaller than one.</summary>
    private const int StateMappingLength = 4096;

    private readonly BpfObject _object;
    private readonly BpfMap _counters;
    private readonly XdpCounters[] _perCpu;
    private readonly BpfMap _xskSlots;
    private readonly BpfMap _xsks;

    private XdpProgram(BpfObject obj, BpfProgram program, XdpStateWriter state, BpfMap counters)
    {
        _object = obj;
        Program = program;
        State = state;
        _counters = counters;
        _xskSlots = obj.Map(XskSlotsMapName);
        _xsks = obj.Map(XsksMapName);
        _perCpu = new XdpCounters[BpfObject.PossibleCpus];
    }

    /// <summary>The compiled program, or null when this build had no clang to compile it.</summary>
    public static byte[]? CompiledObject()
    {
        using Stream? stream = typeof(XdpProgram).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null) return null;
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Writes the state the program answers from.</summary>
    public XdpStateWriter State { get; }

    internal BpfProgram Program { get; }

    /// <summary>
    /// Loads the program to answer on <paramref name="endpoints"/> (at most eight) under <paramref name="policy"/>,
    /// serving from the state only while its heartbeat is younger than <paramref name="staleAfter"/>. Throws <see cref="BpfException"/> when
    /// the kernel refuses (no CAP_BPF and CAP_NET_ADMIN, say) and <see cref="InvalidOperationException"/> when
    /// this build holds no compiled program.
    /// </summary>
    public static XdpProgram Load(IReadOnlyList<IPEndPoint> endpoints, TimeSpan staleAfter, XdpPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (endpoints.Count is 0 or > XdpConfig.MaxEndpoints)
            throw new ArgumentOutOfRangeException(nameof(endpoints), endpoints.Count, $"The XDP program answers on 1 to {XdpConfig.MaxEndpoints} endpoints.");
        byte[] elf = CompiledObject()
            ?? throw new InvalidOperationException("this build of FastNtp has no XDP program (clang and libbpf-dev were missing when it was built)");

        ClientPolicyOptions options = policy.Options;
        var config = new XdpConfig
        {
            StaleAfterNanoseconds = (ulong)(staleAfter.Ticks * 100),
            Policy = XdpPolicyConfig.From(
                options, checkAccess: policy.Allow.Count + policy.Deny.Count > 0, allowUnmatched: policy.Allow.Count == 0, policy.Nts),
        };
        for (int i = 0; i < endpoints.Count; i++) config.Endpoints[i] = XdpEndpoint.From(endpoints[i]);

        var obj = BpfObject.Open(elf);
        try
        {
            obj.SetReadOnlyData(MemoryMarshalBytes(ref config));
            // An LRU map is allocated whole at load: one entry when rate limiting is off.
            obj.SetMaxEntries(ClientsMapName, options.RateLimitEnabled ? options.Entries : 1);
            obj.Load();
            FillAccessLists(obj.Map(AccessV4MapName), obj.Map(AccessV6MapName), policy);
            BpfMap stateMap = obj.Map(StateMapName);
            BpfMap counters = obj.Map(CountersMapName);
            RequireSize<XdpState>(stateMap);
            RequireSize<XdpCounters>(counters);
            var state = new XdpStateWriter(stateMap.MapShared(StateMappingLength));
            return new XdpProgram(obj, obj.Program(ProgramName), state, counters);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One LPM trie entry per prefix, as <see cref="AccessList"/> splits them: IPv4 prefixes (IPv4-mapped ones among
    /// them) into the IPv4 trie, every other into the IPv6 trie; 1 allows, 0 denies.
    /// </summary>
    private static void FillAccessLists(BpfMap ipv4, BpfMap ipv6, XdpPolicy policy)
    {
        foreach ((IReadOnlyList<string> entries, byte allow) in new[] { (policy.Allow, (byte)1), (policy.Deny, (byte)0) })
        {
            foreach (string entry in entries)
            {
                if (!AccessList.TryParsePrefix(entry, out ClientAddress prefix, out int length, out string? error))
                    throw new ArgumentException($"access list entry: {error}", nameof(policy));
                if (prefix.IsIPv4 && length >= ClientAddress.Ipv4MappedPrefixLength)
                {
                    var key = new XdpPrefixV4 { PrefixLength = (uint)(length - ClientAddress.Ipv4MappedPrefixLength) };
                    BinaryPrimitives.WriteUInt32BigEndian(key.Address, (uint)prefix.Low);
                    ipv4.Update(key, allow);
                }
                else
                {
                    var key = new XdpPrefixV6 { PrefixLength = (uint)length };
                    BinaryPrimitives.WriteUInt64BigEndian(key.Address, prefix.High);
                    BinaryPrimitives.WriteUInt64BigEndian(((Span<byte>)key.Address)[8..], prefix.Low);
                    ipv6.Update(key, allow);
                }
            }
        }
    }

    /// <summary>Attaches to an interface by name; the returned link (or this process ending) detaches it.</summary>
    public BpfLink Attach(string interfaceName, XdpAttachMode mode)
    {
        int index = NetworkInterfaces.IndexOf(interfaceName);
        if (index == 0) throw new ArgumentException($"no network interface is named {interfaceName}", nameof(interfaceName));
        return Program.AttachXdp(index, mode);
    }

    /// <summary>
    /// Steers the extension-field requests arriving on one queue of an interface to an AF_XDP socket. The
    /// interface's <paramref name="slot"/> (0 to 7) is its place among the interfaces FastNtp serves; closing the
    /// socket takes it out of the map again, and the program then passes those requests to the kernel.
    /// </summary>
    public void SteerToSocket(int interfaceIndex, int slot, uint queue, int socketDescriptor)
    {
        if (slot is < 0 or >= MaxXskInterfaces) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"AF_XDP serves up to {MaxXskInterfaces} interfaces.");
        if (queue >= MaxXskQueues) throw new ArgumentOutOfRangeException(nameof(queue), queue, $"AF_XDP serves queues 0 to {MaxXskQueues - 1}.");
        _xskSlots.Update((uint)interfaceIndex, (uint)slot);
        _xsks.Update((uint)(slot * MaxXskQueues) + queue, (uint)socketDescriptor);
    }

    /// <summary>The counters summed over CPUs; a reader sees each CPU's values as of some recent moment.</summary>
    public XdpCounterTotals ReadCounters()
    {
        lock (_perCpu)
        {
            _counters.LookupPerCpu(0, _perCpu.AsSpan());
            long answered = 0, extensions = 0, stale = 0, checksum = 0, kodSent = 0, unstamped = 0;
            long[] dropped = new long[DropReasons.Count];
            long[] refused = new long[PolicyDecisions.CounterCount];
            foreach (ref readonly XdpCounters c in _perCpu.AsSpan())
            {
                answered += (long)c.Answered;
                extensions += (long)c.PassedExtensions;
                stale += (long)c.PassedStale;
                checksum += (long)c.PassedChecksum;
                for (int i = 0; i < dropped.Length; i++) dropped[i] += (long)c.Dropped[i];
                for (int i = 0; i < refused.Length; i++) refused[i] += (long)c.Refused[i];
                kodSent += (long)c.KodSent;
                unstamped += (long)c.RedirectedUnstamped;
            }

            var byReason = new Dictionary<DropReason, long>();
            for (int i = 1; i < dropped.Length; i++)
            {
                if (dropped[i] != 0) byReason[(DropReason)i] = dropped[i];
            }

            return new XdpCounterTotals(answered, extensions, stale, checksum, byReason)
            {
                Denied = refused[(int)PolicyCounter.Denied],
                NtsRequired = refused[(int)PolicyCounter.NtsRequired],
                RateLimitedKiss = refused[(int)PolicyCounter.RateLimitedKiss],
                RateLimitedDrop = refused[(int)PolicyCounter.RateLimitedDrop],
                KodSent = kodSent,
                RedirectedUnstamped = unstamped,
            };
        }
    }

    public void Dispose()
    {
        State.Dispose();
        _object.Dispose();
    }

    private static void RequireSize<T>(BpfMap map) where T : unmanaged
    {
        if (map.ValueSize != Unsafe.SizeOf<T>())
            throw new InvalidOperationException($"the XDP program's {typeof(T).Name} is {map.ValueSize} octets, this build expects {Unsafe.SizeOf<T>()}");
    }

    private static ReadOnlySpan<byte> MemoryMarshalBytes<T>(ref T value) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
}

/// <summary>What the XDP program did, summed over CPUs.</summary>
/// <param name="PassedExtensions">Requests with extension fields (NTS among them) the client policy let through, handed to the AF_XDP socket of their queue, else to the socket engine.</param>
/// <param name="PassedStale">Requests left to the socket engine because the state's heartbeat was stale or a leap was near.</param>
/// <param name="PassedChecksum">Requests with a bad checksum left to the kernel, which discards them.</param>
public sealed record XdpCounterTotals(
    long Answered, long PassedExtensions, long PassedStale, long PassedChecksum, IReadOnlyDictionary<DropReason, long> Dropped)
{
    public long TotalDropped => Dropped.Values.Sum();

    /// <summary>Requests the access list refused (with a DENY kiss or without an answer), plain or with extension fields.</summary>
    public long Denied { get; init; }

    /// <summary>Requests without an NTS cookie refused because <c>Access:RequireNts</c> is set.</summary>
    public long NtsRequired { get; init; }

    /// <summary>Requests over the client's rate limit answered with a RATE kiss.</summary>
    public long RateLimitedKiss { get; init; }

    /// <summary>Requests over the client's rate limit dropped.</summary>
    public long RateLimitedDrop { get; init; }

    /// <summary>Kisses sent (RATE and DENY).</summary>
    public long KodSent { get; init; }

    /// <summary>Requests redirected to AF_XDP without their receive time (the driver had no room for metadata).</summary>
    public long RedirectedUnstamped { get; init; }
}
