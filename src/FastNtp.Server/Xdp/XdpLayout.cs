using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Xdp;

// The structs of Bpf/fastntp_xdp.h, field for field; XdpLayoutTests pins them to the compiled object's BTF.

/// <summary>struct fastntp_endpoint: one address and port the program answers for.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpEndpoint
{
    public byte Family;
    public byte Wildcard;
    public ushort PortNetworkOrder;
    public XdpAddress Address;

    public static XdpEndpoint From(IPEndPoint endpoint)
    {
        var e = new XdpEndpoint
        {
            Family = endpoint.AddressFamily == AddressFamily.InterNetwork ? (byte)4 : (byte)6,
            Wildcard = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? (byte)1 : (byte)0,
            PortNetworkOrder = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)endpoint.Port) : (ushort)endpoint.Port,
        };
        endpoint.Address.TryWriteBytes(e.Address, out _);
        return e;
    }
}

[InlineArray(16)]
internal struct XdpAddress
{
    private byte _first;
}

[InlineArray(XdpConfig.MaxEndpoints)]
internal struct XdpEndpoints
{
    private XdpEndpoint _first;
}

/// <summary>struct fastntp_policy: the <c>RateLimit</c> and <c>Access</c> settings as <see cref="ClientPolicy"/> holds them.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpPolicyConfig
{
    public ulong IntervalNanoseconds;
    public ulong BurstToleranceNanoseconds;
    /// <summary>In units of <see cref="ClientPolicy.KodShareOne"/>.</summary>
    public uint KodShare;
    public byte RateLimit;
    public byte CheckAccess;
    public byte AllowUnmatched;
    public byte RefuseWithKiss;
    public byte RequireNts;
    public sbyte KissPoll;
    public byte Ipv6Prefix;
    public byte Nts;
    private readonly byte _reserved0, _reserved1, _reserved2, _reserved3;

    public static XdpPolicyConfig From(ClientPolicyOptions options, bool checkAccess, bool allowUnmatched, bool nts)
    {
        long interval = options.Interval.Ticks * 100;
        return new XdpPolicyConfig
        {
            IntervalNanoseconds = (ulong)interval,
            BurstToleranceNanoseconds = (ulong)((options.Burst - 1) * interval),
            KodShare = ClientPolicy.KodShareUnits(options.KodShare),
            RateLimit = options.RateLimitEnabled ? (byte)1 : (byte)0,
            CheckAccess = checkAccess ? (byte)1 : (byte)0,
            AllowUnmatched = allowUnmatched ? (byte)1 : (byte)0,
            RefuseWithKiss = options.DenyAction == DenyAction.Kod ? (byte)1 : (byte)0,
            RequireNts = options.RequireNts ? (byte)1 : (byte)0,
            KissPoll = ClientPolicy.PollExponent(options.Interval),
            Ipv6Prefix = (byte)options.Ipv6Prefix,
            Nts = nts ? (byte)1 : (byte)0,
        };
    }
}

/// <summary>struct fastntp_config: the program's read-only globals, fixed at load.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpConfig
{
    public const int MaxEndpoints = 8;

    public ulong StaleAfterNanoseconds;
    public XdpEndpoints Endpoints;
    public XdpPolicyConfig Policy;
}

[InlineArray(4)]
internal struct XdpIpv4Address
{
    private byte _first;
}

/// <summary>struct fastntp_prefix_v4: a key of the IPv4 access list's LPM trie.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpPrefixV4
{
    public uint PrefixLength;
    public XdpIpv4Address Address;
}

/// <summary>struct fastntp_prefix_v6: a key of the IPv6 access list's LPM trie.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpPrefixV6
{
    public uint PrefixLength;
    public XdpAddress Address;
}

[InlineArray(4)]
internal struct XdpReferenceId
{
    private byte _first;
}

/// <summary>struct fastntp_slot: one <see cref="ServerSnapshot"/> in the program's terms.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpSlot
{
    public long RootDispersion;
    public ulong ReferenceTime;
    public uint RootDelay;
    public XdpReferenceId ReferenceId;
    public byte Leap;
    public byte Stratum;
    public sbyte Precision;
    /// <summary>Set within a leap smear's window and around a leap: the program passes requests up.</summary>
    public byte LeapWindow;
    private readonly byte _reserved0, _reserved1, _reserved2, _reserved3;

    public static XdpSlot From(ServerSnapshot snapshot)
    {
        var slot = new XdpSlot
        {
            RootDispersion = snapshot.RootDispersion.Raw,
            ReferenceTime = snapshot.ReferenceTime.Value,
            RootDelay = snapshot.RootDelay.ToShortFormat(),
            Leap = (byte)snapshot.Leap,
            Stratum = snapshot.Stratum,
            Precision = snapshot.Precision,
            LeapWindow = snapshot.InLeapWindow ? (byte)1 : (byte)0,
        };
        BinaryPrimitives.WriteUInt32BigEndian(slot.ReferenceId, snapshot.ReferenceId.Value);
        return slot;
    }
}

[InlineArray(2)]
internal struct XdpSlots
{
    private XdpSlot _first;
}

/// <summary>struct fastntp_state: two slots and a generation, so the program never reads a half-written slot.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpState
{
    public ulong Generation;
    public ulong HeartbeatTaiNanoseconds;
    public long TaiOffsetNanoseconds;
    private readonly ulong _reserved;
    public XdpSlots Slots;
}

[InlineArray(XdpCounters.DropReasonSlots)]
internal struct XdpDropCounters
{
    private ulong _first;
}

[InlineArray(PolicyDecisions.CounterCount)]
internal struct XdpRefusedCounters
{
    private ulong _first;
}

/// <summary>struct fastntp_counters: one CPU's counts.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpCounters
{
    public const int DropReasonSlots = 16;

    public ulong Answered;
    public ulong PassedExtensions;
    public ulong PassedStale;
    public ulong PassedChecksum;
    /// <summary>Indexed by <see cref="DropReason"/>.</summary>
    public XdpDropCounters Dropped;
    /// <summary>Indexed by <see cref="PolicyCounter"/>.</summary>
    public XdpRefusedCounters Refused;
    public ulong KodSent;
    /// <summary>Requests redirected to AF_XDP without their receive time: the driver had no room for metadata.</summary>
    public ulong RedirectedUnstamped;
}

/// <summary>
/// struct fastntp_rx_meta: the receive time (CLOCK_TAI) the program hands over in front of a redirected frame,
/// and its check word; <see cref="AfXdpReceiveTime"/> reads it. The program writes it through a pointer only, so it
/// is not in the object's BTF: the AF_XDP tests pin it by running the program on a redirected frame.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpReceiveMetadata
{
    /// <summary>FASTNTP_RX_META_KEY: <see cref="Check"/> is <see cref="RxTaiNanoseconds"/> XOR this.</summary>
    public const ulong CheckKey = 0x4661_7374_4E74_7021;

    public ulong RxTaiNanoseconds;
    public ulong Check;

    public readonly bool IsValid => (RxTaiNanoseconds ^ CheckKey) == Check;
}
