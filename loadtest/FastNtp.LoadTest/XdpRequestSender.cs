using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastNtp.Interop.Bpf;

namespace FastNtp.LoadTest;

/// <summary>struct gen_config of Bpf/request_gen.c: the program's read-only globals.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RequestGenConfig
{
    /// <summary>MAX_FRAME_LENGTH: an IPv6 request frame (110 octets), rounded up.</summary>
    public const int MaxFrameLength = 112;

    public uint InterfaceIndex;
    public uint FirstClient;
    public uint Addresses;
    public uint Clients;
    public uint FirstPort;
    public ushort IpChecksum;
    public ushort UdpChecksum;
    public byte IsIPv6;
    private readonly byte _pad0;
    private readonly byte _pad1;
    private readonly byte _pad2;
    public uint FrameLength;
    public fixed byte Template[MaxFrameLength];
}

/// <summary>struct gen_state of Bpf/request_gen.c: one timeline entry's schedule and progress, shared with the program.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RequestGenState
{
    public ulong StartNs;
    public ulong EndNs;
    public ulong Rate;
    public ulong Limit;
    public ulong MaxBacklog;
    public ulong Sent;
    public ulong Skipped;
    public uint High;
    public uint Next;
    public uint Frames;
    public uint Burst;
    public uint Bursting;
    private readonly uint _pad;
}

/// <summary>struct nts_frame of Bpf/request_gen.c: one pre-built NTS request frame in the nts_frames map.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NtsRequestFrame
{
    /// <summary>NTS_MAX_FRAME_LENGTH: a frame of a 1500-octet MTU.</summary>
    public const int MaxFrameLength = 1514;

    public uint Length;
    public fixed byte Bytes[MaxFrameLength];
}

/// <summary>
/// The XDP sender (Bpf/request_gen.c): BPF_PROG_RUN in live-frames mode runs the program many times per call on
/// pages of the kernel's; each run with a request due writes a request into its page and redirects it out of the
/// interface as an xdp_frame. Plain NTP: the request template, stamped (client, port, sequence, checksums) as
/// <see cref="RawRequestFrames.Write"/> does. NTS: request number <c>sequence mod count</c> of the entry's
/// <see cref="RawNtsRequestPool"/> requests, copied into the nts_frames map when the entry begins (between calls,
/// never during one). A page comes back to the run's pool holding whatever was last written into it (by a server that
/// answered with XDP_TX, a reply), hence the whole frame each time.
/// No skb is built on either side of a veth pair. The program paces itself against CLOCK_MONOTONIC (the clock of
/// <see cref="Stopwatch"/> on Linux and of bpf_ktime_get_ns): each call sends what falls due while it runs.
/// </summary>
internal sealed class XdpRequestSender : IPacedSender, IDisposable
{
    internal const string ResourceName = "FastNtp.LoadTest.request_gen.o";
    /// <summary>Program runs per BPF_PROG_RUN call: a few to a few tens of milliseconds, long against the call's fixed cost.</summary>
    public const int RunsPerCall = 1 << 18;
    /// <summary>
    /// Requests the program may fall behind before it skips rather than catch up: a millisecond's worth, at least a
    /// veth ring (256 frames); a longer catch-up burst would overflow the peer's ring faster than any server drains it.
    /// </summary>
    public const long MinimumBacklog = 256;

    private const string ExpeditedRcuFile = "/sys/kernel/rcu_expedited";

    private readonly BpfObject _object;
    private readonly BpfMapping _state;
    private readonly BpfMapping? _ntsFrames;
    private readonly RawNtsRequestPool? _ntsPool;
    private readonly byte[] _template;
    private readonly uint _tag;
    private readonly uint _sampleMask;
    private readonly string _txDroppedFile;
    private long _txDroppedAtStart;
    private long _startTicks;
    private double _ticksPerRequest;
    private int _entry;

    private unsafe XdpRequestSender(BpfObject obj, string interfaceName, byte[] template, uint tag, int sample, RawNtsRequestPool? ntsPool)
    {
        _txDroppedFile = Path.Combine("/sys/class/net", interfaceName, "statistics", "tx_dropped");
        _object = obj;
        _template = template;
        _tag = tag;
        // Without the sink every reply goes up to the packet socket: every request is tracked.
        _sampleMask = sample > 0 ? (uint)sample - 1 : 0;
        _state = obj.Map("gen_state").MapShared(Environment.SystemPageSize);
        _ntsPool = ntsPool;
        if (ntsPool is not null)
        {
            int pages = (ntsPool.MaxCount * sizeof(NtsRequestFrame) + Environment.SystemPageSize - 1) / Environment.SystemPageSize;
            _ntsFrames = obj.Map("nts_frames").MapShared(pages * Environment.SystemPageSize);
        }

        Program = obj.Program(ntsPool is null ? "request_gen" : "nts_request_gen");
    }

    internal BpfProgram Program { get; }

    internal ref RequestGenState State => ref _state.Value<RequestGenState>();

    /// <summary>The compiled program, or null when this build had no clang to compile it.</summary>
    public static byte[]? CompiledObject() => EmbeddedBpfObject.Read(ResourceName);

    /// <summary>
    /// False when the kernel waits a normal RCU grace period at the end of every call (tens of milliseconds, during
    /// which nothing is sent and requests more than <see cref="MinimumBacklog"/> behind are skipped).
    /// </summary>
    public static bool ExpeditedRcu => File.Exists(ExpeditedRcuFile) && File.ReadAllText(ExpeditedRcuFile).Trim() != "0";

    /// <summary>
    /// Loads the program for <paramref name="frames"/>' requests (NTS ones: <paramref name="ntsPool"/>'s) out of
    /// interface <paramref name="interfaceName"/>; throws <see cref="BpfException"/> when the kernel refuses.
    /// </summary>
    public static unsafe XdpRequestSender Load(RawRequestFrames frames, string interfaceName, uint tag, int sample, RawNtsRequestPool? ntsPool = null)
    {
        int interfaceIndex = NetworkInterfaces.IndexOf(interfaceName);
        if (interfaceIndex == 0) throw new ArgumentException($"no network interface is named {interfaceName}", nameof(interfaceName));
        if (frames.IsNts != ntsPool is not null) throw new ArgumentException("NTS frames need their request pool, plain ones none.", nameof(ntsPool));
        if (frames.IsNts && frames.MaxFrameLength > NtsRequestFrame.MaxFrameLength)
            throw new ArgumentException($"--raw-sender xdp sends NTS request frames of up to {NtsRequestFrame.MaxFrameLength} octets; with these cookies and placeholders a request frame is {frames.MaxFrameLength}: use fewer --nts-placeholders or --raw-sender packet.");
        byte[] elf = CompiledObject()
            ?? throw new InvalidOperationException("this build of fastntp-load has no XDP sender (clang and libbpf-dev were missing when it was built)");
        var obj = BpfObject.Open(elf);
        try
        {
            var config = new RequestGenConfig
            {
                InterfaceIndex = (uint)interfaceIndex,
                FirstClient = frames.FirstClientLow,
                Addresses = (uint)frames.Addresses,
                Clients = (uint)frames.Clients,
                FirstPort = RawFrameOptions.FirstPort,
                IpChecksum = frames.TemplateIpChecksum,
                UdpChecksum = frames.TemplateUdpChecksum,
                IsIPv6 = frames.IsIPv6 ? (byte)1 : (byte)0,
                FrameLength = (uint)frames.FrameLength,
            };
            frames.Template.CopyTo(new Span<byte>(config.Template, RequestGenConfig.MaxFrameLength));
            obj.SetReadOnlyData(MemoryMarshal.AsBytes(new ReadOnlySpan<RequestGenConfig>(ref config)));
            if (ntsPool is not null) obj.SetMaxEntries("nts_frames", ntsPool.MaxCount);
            obj.Load();
            return new XdpRequestSender(obj, interfaceName, frames.Template.ToArray(), tag, sample, ntsPool);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    public void BeginEntry(int entry, double rate, long startTicks, long endTicks, int burst)
    {
        _entry = entry;
        _startTicks = startTicks;
        _ticksPerRequest = Stopwatch.Frequency / rate;
        ref RequestGenState s = ref State;
        s.StartNs = (ulong)Clocks.TicksToNanoseconds(startTicks);
        s.EndNs = (ulong)Clocks.TicksToNanoseconds(endTicks);
        s.Rate = (ulong)Math.Round(rate);
        s.Limit = (ulong)Math.Round(rate * (endTicks - startTicks) / Stopwatch.Frequency);
        s.MaxBacklog = (ulong)Math.Max(MinimumBacklog, (long)(rate / 1000));
        s.Sent = 0;
        s.Skipped = 0;
        s.Burst = (uint)burst;
        s.Bursting = 0;
        s.High = ReplySink.HighWord(_tag, entry);
        if (_ntsPool is not null) LoadNtsFrames(entry);
        _txDroppedAtStart = TxDropped();
    }

    /// <summary>Copies entry <paramref name="entry"/>'s NTS requests into nts_frames; its sequence numbers start again at 0, request i carrying i.</summary>
    private unsafe void LoadNtsFrames(int entry)
    {
        int count = _ntsPool!.CountFor(entry);
        var slots = new Span<NtsRequestFrame>(Unsafe.AsPointer(ref _ntsFrames!.Value<NtsRequestFrame>()), count);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> frame = _ntsPool.Frame(entry, i);
            slots[i].Length = (uint)frame.Length;
            frame.CopyTo(new Span<byte>(Unsafe.AsPointer(ref slots[i].Bytes[0]), NtsRequestFrame.MaxFrameLength));
        }

        State.Frames = (uint)count;
        State.Next = 0;
    }

    public long Sent => (long)State.Sent;

    /// <summary>
    /// The interface's transmit drops since the entry began: on a veth, frames its peer's ring refused because the
    /// peer's NAPI had not drained it (the program cannot see them).
    /// </summary>
    public long Refused => TxDropped() - _txDroppedAtStart;

    public long Skipped => (long)State.Skipped;

    public bool EntryComplete => State.Sent + State.Skipped >= State.Limit;

    public void SendDue(RequestTracker tracker)
    {
        ref RequestGenState s = ref State;
        uint first = s.Next;
        ulong doneBefore = s.Sent + s.Skipped;
        Program.RunLive(_template, RunsPerCall);
        TrackSent(tracker, first, doneBefore);
    }

    /// <summary>
    /// Tracks the requests sent since sequence <paramref name="first"/> whose replies come up for full verification
    /// (transmit timestamp's low half a multiple of the sample), each as sent when it fell due (the program sends
    /// within its backlog of that); <paramref name="doneBefore"/>: the entry's requests sent or skipped before them.
    /// The low half is the sequence number, for NTS taken modulo the entry's request count.
    /// </summary>
    internal void TrackSent(RequestTracker tracker, uint first, ulong doneBefore)
    {
        ref RequestGenState s = ref State;
        ulong count = s.Next - first;
        ulong period = s.Frames == 0 ? 1ul << 32 : s.Frames;
        ulong sample = _sampleMask + 1ul;
        ulong low = first % period;
        ulong i = 0;
        while (i < count)
        {
            ulong gap = (sample - (low & _sampleMask)) & _sampleMask;
            if (gap >= period - low)
            {
                // No sampled number before the sequence comes round to 0 again.
                i += period - low;
                low = 0;
                continue;
            }

            i += gap;
            low += gap;
            if (i >= count) break;
            long due = _startTicks + (long)((doneBefore + i) * _ticksPerRequest);
            tracker.Register(((ulong)s.High << 32) | low, due, _entry);
            i++;
            low = low + 1 == period ? 0 : low + 1;
        }
    }

    private long TxDropped() => long.Parse(File.ReadAllText(_txDroppedFile), System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _ntsFrames?.Dispose();
        _state.Dispose();
        _object.Dispose();
    }
}
