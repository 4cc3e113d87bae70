using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastNtp.Interop.Bpf;

namespace FastNtp.LoadTest;

/// <summary>Why the reply sink called a reply invalid: enum reason of Bpf/reply_sink.c, in its order.</summary>
internal enum ReplySinkReason
{
    Malformed,
    WrongClient,
    BadLength,
    BadMode,
    BadVersion,
    BadStratum,
    ZeroTimestamp,
    ReceiveAfterTransmit,
    UnknownOrigin,
    NtsUniqueId,
    NtsNak,
}

/// <summary>struct sink_config of Bpf/reply_sink.c: the program's read-only globals.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ReplySinkConfig
{
    public fixed byte TargetAddress[16];
    public fixed byte ClientPrefix[12];
    public uint FirstClient;
    public uint Addresses;
    public uint Clients;
    public uint FirstPort;
    public uint Tag;
    public uint SampleMask;
    public uint MinLength;
    public uint MaxLength;
    public ushort TargetPort;
    public byte IsIPv6;
    public byte IsNts;
}

/// <summary>struct sink_counts of Bpf/reply_sink.c: one timeline entry's replies on one CPU (or summed).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ReplySinkCounts
{
    public const int ReasonCount = 11;

    public ulong Valid;
    /// <summary>Valid replies passed up to the packet socket for full verification.</summary>
    public ulong Sampled;
    /// <summary>Stratum 0 (NTS NAKs apart): a kiss-o'-death.</summary>
    public ulong KissOfDeath;
    /// <summary>Valid, but to a request of another timeline entry.</summary>
    public ulong Late;
    public fixed ulong Invalid[ReasonCount];

    public readonly ulong InvalidOf(ReplySinkReason reason) => Invalid[(int)reason];

    public void Add(in ReplySinkCounts other)
    {
        Valid += other.Valid;
        Sampled += other.Sampled;
        KissOfDeath += other.KissOfDeath;
        Late += other.Late;
        for (int i = 0; i < ReasonCount; i++) Invalid[i] += other.Invalid[i];
    }
}

/// <summary>
/// The reply sink (Bpf/reply_sink.c) loaded and attached to the generator's interface through a BPF link: it counts
/// the target's replies in the driver, per timeline entry, and passes a sample up to the packet socket. The transmit
/// timestamps it checks are <see cref="Transmit"/>'s. Detached when disposed or when the process ends.
/// </summary>
internal sealed class ReplySink : IDisposable
{
    internal const string ResourceName = "FastNtp.LoadTest.reply_sink.o";
    /// <summary>The timeline entry travels in 8 bits of the transmit timestamp.</summary>
    public const int MaxEntries = 256;

    private readonly BpfObject _object;
    private readonly BpfMap _entry;
    private readonly BpfMap _counts;
    private readonly ReplySinkCounts[] _perCpu;
    private BpfLink? _link;

    private ReplySink(BpfObject obj)
    {
        _object = obj;
        _entry = obj.Map("sink_entry");
        _counts = obj.Map("sink_counts");
        _perCpu = new ReplySinkCounts[BpfObject.PossibleCpus];
        Program = obj.Program("reply_sink");
    }

    internal BpfProgram Program { get; }

    /// <summary>The compiled program, or null when this build had no clang to compile it.</summary>
    public static byte[]? CompiledObject() => EmbeddedBpfObject.Read(ResourceName);

    /// <summary>
    /// The transmit timestamp of request <paramref name="sequence"/> in timeline entry <paramref name="entry"/> of the run
    /// tagged <paramref name="tag"/> (24 bits): what the sink expects as the origin of its reply.
    /// </summary>
    public static ulong Transmit(uint tag, int entry, uint sequence) => ((ulong)HighWord(tag, entry) << 32) | sequence;

    /// <summary>The upper 32 bits of <see cref="Transmit"/>.</summary>
    public static uint HighWord(uint tag, int entry) => (tag << 8) | (uint)(entry & 0xFF);

    /// <summary>Loads the sink for <paramref name="entries"/> timeline entries; throws <see cref="BpfException"/> when the kernel refuses.</summary>
    public static ReplySink Load(in ReplySinkConfig config, int entries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entries, MaxEntries);
        byte[] elf = CompiledObject()
            ?? throw new InvalidOperationException("this build of fastntp-load has no reply sink (clang and libbpf-dev were missing when it was built)");
        var obj = BpfObject.Open(elf);
        try
        {
            ReplySinkConfig copy = config;
            obj.SetReadOnlyData(MemoryMarshal.AsBytes(new ReadOnlySpan<ReplySinkConfig>(ref copy)));
            obj.SetMaxEntries("sink_counts", entries);
            obj.Load();
            var sink = new ReplySink(obj);
            if (sink._counts.ValueSize != Unsafe.SizeOf<ReplySinkCounts>())
                throw new InvalidOperationException($"reply_sink.c counts {sink._counts.ValueSize} octets per entry, ReplySinkCounts {Unsafe.SizeOf<ReplySinkCounts>()}.");
            return sink;
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>Attaches to the interface in native mode (a veth runs XDP in its driver).</summary>
    public void Attach(string interfaceName)
    {
        int index = NetworkInterfaces.IndexOf(interfaceName);
        if (index == 0) throw new ArgumentException($"no network interface is named {interfaceName}", nameof(interfaceName));
        _link = Program.AttachXdp(index, XdpAttachMode.Native);
    }

    /// <summary>Replies from now on count under <paramref name="entry"/> (one past the last: counted nowhere).</summary>
    public void Enter(int entry) => _entry.Update(0, (uint)entry);

    /// <summary>Entry <paramref name="entry"/>'s counts summed over CPUs.</summary>
    public ReplySinkCounts Read(int entry)
    {
        _counts.LookupPerCpu((uint)entry, _perCpu.AsSpan());
        var total = default(ReplySinkCounts);
        foreach (ref readonly ReplySinkCounts c in _perCpu.AsSpan()) total.Add(c);
        return total;
    }

    public void Dispose()
    {
        _link?.Dispose();
        _object.Dispose();
    }
}
