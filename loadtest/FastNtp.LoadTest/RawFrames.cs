using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest;

/// <summary>What raw-frame mode needs beyond the target: the interface, the two MAC addresses and the client address range.</summary>
/// <param name="Interface">The generator's end of the veth pair (or any interface facing the server).</param>
/// <param name="SourceMac">This interface's MAC address, the source of every request.</param>
/// <param name="DestinationMac">The server's MAC address (the next hop toward the target).</param>
/// <param name="FirstClient">The first simulated client address; clients take <paramref name="Addresses"/> consecutive addresses.</param>
/// <param name="Addresses">How many source addresses the clients spread over; clients beyond that share an address with different ports.</param>
/// <param name="Sample">
/// With the reply sink: 1 valid reply in this many (a power of two) goes up to the packet socket for full verification,
/// the rest are counted in the driver; 0: no sink, every reply is verified through the packet socket.
/// </param>
/// <param name="Sender">What sends the requests: an AF_PACKET socket, or the XDP sender (plain NTP only).</param>
internal sealed record RawFrameOptions(string Interface, MacAddress SourceMac, MacAddress DestinationMac, IPAddress FirstClient, int Addresses, int Sample = 0,
    RawSender Sender = RawSender.Packet)
{
    /// <summary>Source ports of simulated clients start here (clear of the well-known range).</summary>
    public const int FirstPort = 1024;

    /// <summary>The largest --raw-sample: even then a step of a second or more verifies some replies fully.</summary>
    public const int MaxSample = 1 << 20;

    /// <summary>One line naming what is wrong, or null.</summary>
    public static string? Validate(RawFrameOptions raw, IPEndPoint target, int clients, int threads, int timelineEntries)
    {
        if (threads != 1) return "--raw uses one load thread (one packet socket sees every reply on the interface): --threads must be 1.";
        if (raw.FirstClient.AddressFamily != target.AddressFamily) return "--raw-client must be of the same address family as --target.";
        if (raw.Addresses < 1) return "--raw-addresses must be at least 1.";
        if (raw.Sample is < 0 or > MaxSample || (raw.Sample & (raw.Sample - 1)) != 0)
            return $"--raw-sample must be 0 (no reply sink) or a power of two up to {MaxSample}.";
        if (timelineEntries > ReplySink.MaxEntries)
            return $"--raw runs at most {ReplySink.MaxEntries} steps (warm-up included): the step travels in 8 bits of each request.";
        if (clients > (long)raw.Addresses * (ushort.MaxValue + 1 - FirstPort))
            return "--clients: more clients than --raw-addresses times the available source ports.";
        uint low = LowWord(raw.FirstClient);
        if (low + (ulong)Math.Min(raw.Addresses, clients) > uint.MaxValue + 1UL)
            return "--raw-client: the client addresses would wrap past the end of the address space.";
        return null;
    }

    /// <summary>The last 32 bits of an address (all of IPv4): what varies from client to client.</summary>
    public static uint LowWord(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes[(written - 4)..written]);
    }
}

/// <summary>What sends raw-frame mode's requests.</summary>
internal enum RawSender
{
    /// <summary>One AF_PACKET socket, sendmmsg past the qdisc: every request is an skb. Plain NTP and NTS.</summary>
    Packet,

    /// <summary>
    /// <see cref="XdpRequestSender"/>: BPF_PROG_RUN in live-frames mode, requests built and paced by an XDP program and
    /// handed to the driver as xdp_frames, no skb. Plain NTP only.
    /// </summary>
    Xdp,
}

/// <summary>
/// Request frames for raw-frame mode: one template (Ethernet, IP, UDP, an NTPv4 client request with a zero
/// transmit timestamp) built with the frame codec, stamped per request with the client's address and port
/// and the transmit timestamp, its checksums updated incrementally (RFC 1624) rather than recomputed. Client
/// <c>c</c> has address FirstClient + (c mod Addresses) and port 1024 + c / Addresses; request number
/// <c>s</c> of the thread goes out from client <c>s mod clients</c>, so a reply's origin names the client it must go to.
/// In NTS mode client <c>c</c> holds the keys and cookies of NTS-KE session <c>c mod sessions</c>, and its requests
/// are written whole (<see cref="WriteNts"/>): the authenticator covers the transmit timestamp.
/// </summary>
internal sealed class RawRequestFrames
{
    private readonly byte[] _template;
    private readonly int _clients;
    private readonly int _addresses;
    private readonly uint _firstLow;
    private readonly ushort _targetPort;
    private readonly byte[] _targetAddress;
    private readonly bool _isIPv6;
    private readonly int _sourceLowOffset;
    private readonly int _udpOffset;
    private readonly ushort _templateIpChecksum;
    private readonly ushort _templateUdpChecksum;
    private readonly MacAddress _sourceMac;
    private readonly MacAddress _destinationMac;
    private readonly NtsLoadSession[]? _sessions;
    private readonly byte[] _clientAddress;

    public RawRequestFrames(RawFrameOptions options, IPEndPoint target, int clients, IReadOnlyList<NtsLoadSession>? sessions = null)
    {
        _clients = clients;
        _sourceMac = options.SourceMac;
        _destinationMac = options.DestinationMac;
        _sessions = sessions is null ? null : [.. sessions];
        _addresses = Math.Min(options.Addresses, clients);
        _isIPv6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        _firstLow = RawFrameOptions.LowWord(options.FirstClient);
        _targetPort = (ushort)target.Port;
        _targetAddress = target.Address.GetAddressBytes();
        FrameLength = UdpFrame.HeadersLength(_isIPv6) + NtpProbe.RequestLength;
        _udpOffset = UdpFrame.HeadersLength(_isIPv6) - UdpHeader.Length;
        // The template's varying fields (low address word, source port, transmit timestamp) are zero, so stamping
        // a request changes each 16-bit word from 0 to its value: the incremental update needs no old bytes.
        byte[] source = options.FirstClient.GetAddressBytes();
        source.AsSpan(source.Length - 4).Clear();
        _sourceLowOffset = EthernetHeader.Length + (_isIPv6 ? 8 : 12) + source.Length - 4;
        _template = new byte[FrameLength];
        NtpProbe.WriteRequest(_template.AsSpan(UdpFrame.HeadersLength(_isIPv6)), 0);
        UdpFrameWriter.WriteHeaders(_template, options.SourceMac, options.DestinationMac, source, _targetAddress, 0, _targetPort, NtpProbe.RequestLength);
        _templateIpChecksum = _isIPv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(_template.AsSpan(EthernetHeader.Length + 10));
        _templateUdpChecksum = BinaryPrimitives.ReadUInt16BigEndian(_template.AsSpan(_udpOffset + 6));
        _clientAddress = source;
        int longest = NtpProbe.RequestLength;
        if (_sessions is not null)
            foreach (NtsLoadSession session in _sessions) longest = Math.Max(longest, session.MaxRequestLength);
        MaxFrameLength = UdpFrame.HeadersLength(_isIPv6) + longest;
    }

    /// <summary>The length of every plain request frame.</summary>
    public int FrameLength { get; }

    /// <summary>The longest frame <see cref="Write"/> or <see cref="WriteNts"/> writes.</summary>
    public int MaxFrameLength { get; }

    public bool IsNts => _sessions is not null;

    /// <summary>The client prefix (IPv6: its first 96 bits) with the low 32 bits zero.</summary>
    public ReadOnlySpan<byte> ClientAddressTemplate => _clientAddress;

    public int Clients => _clients;

    public int Addresses => _addresses;

    public uint FirstClientLow => _firstLow;

    public ushort TargetPort => _targetPort;

    public ReadOnlySpan<byte> TargetAddress => _targetAddress;

    public bool IsIPv6 => _isIPv6;

    /// <summary>The plain request frame with the varying fields (low address word, source port, transmit timestamp) zero.</summary>
    public ReadOnlySpan<byte> Template => _template;

    /// <summary>The template's IPv4 header checksum (0 for IPv6).</summary>
    public ushort TemplateIpChecksum => _templateIpChecksum;

    public ushort TemplateUdpChecksum => _templateUdpChecksum;

    /// <summary>The client that sends request number <paramref name="sequence"/>.</summary>
    public int ClientOf(uint sequence) => (int)(sequence % (uint)_clients);

    public uint ClientAddressLow(int client) => _firstLow + (uint)(client % _addresses);

    public ushort ClientPort(int client) => (ushort)(RawFrameOptions.FirstPort + client / _addresses);

    /// <summary>Writes the request frame carrying <paramref name="transmit"/> into <paramref name="frame"/>; returns its length.</summary>
    public int Write(Span<byte> frame, ulong transmit)
    {
        int client = ClientOf((uint)transmit);
        uint low = ClientAddressLow(client);
        ushort port = ClientPort(client);
        _template.CopyTo(frame);
        BinaryPrimitives.WriteUInt32BigEndian(frame[_sourceLowOffset..], low);
        BinaryPrimitives.WriteUInt16BigEndian(frame[_udpOffset..], port);
        NtpHeader.WriteTransmitTime(frame[UdpFrame.HeadersLength(_isIPv6)..], new NtpTimestamp(transmit));

        // Sums of the new words, each replacing a zero word of the template.
        ulong addressSum = (low >> 16) + (low & 0xFFFF);
        ulong udpSum = addressSum + port + (transmit >> 48) + ((transmit >> 32) & 0xFFFF) + ((transmit >> 16) & 0xFFFF) + (transmit & 0xFFFF);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(_udpOffset + 6)..], UdpChecksumAfterAdding(_templateUdpChecksum, udpSum));
        if (!_isIPv6)
            BinaryPrimitives.WriteUInt16BigEndian(frame[(EthernetHeader.Length + 10)..], (ushort)~InternetChecksum.Fold((ushort)~_templateIpChecksum + addressSum));
        return FrameLength;
    }

    /// <summary>The NTS session (keys, cookies) of <paramref name="client"/>.</summary>
    public NtsLoadSession SessionOf(int client) => _sessions![client % _sessions.Length];

    /// <summary>
    /// Writes the NTS request frame carrying <paramref name="transmit"/> from the client it names, with that client's
    /// session (unique identifier, cookie, placeholders, authenticator); returns its length.
    /// </summary>
    public int WriteNts(Span<byte> frame, ulong transmit)
    {
        int client = ClientOf((uint)transmit);
        int headers = UdpFrame.HeadersLength(_isIPv6);
        int payload = SessionOf(client).WriteRequest(frame[headers..], transmit);
        Span<byte> source = stackalloc byte[_clientAddress.Length];
        _clientAddress.CopyTo(source);
        BinaryPrimitives.WriteUInt32BigEndian(source[^4..], ClientAddressLow(client));
        UdpFrameWriter.WriteHeaders(frame, _sourceMac, _destinationMac, source, _targetAddress, ClientPort(client), _targetPort, payload);
        return headers + payload;
    }

    /// <summary>RFC 1624 equation 3 with every old word zero (~0 = 0xFFFF adds nothing in ones' complement); zero is sent as 0xFFFF.</summary>
    private static ushort UdpChecksumAfterAdding(ushort checksum, ulong addedWords)
    {
        ushort updated = (ushort)~InternetChecksum.Fold((ushort)~checksum + addedWords);
        return updated == 0 ? (ushort)0xFFFF : updated;
    }

    /// <summary>
    /// Judges one received frame. False when it is none of the run's business: not a UDP datagram from the target's
    /// address and port (ARP, neighbour discovery, anything else on the interface). Otherwise the verdict is the NTP
    /// reply checks of <see cref="NtpProbe.Verify"/> (in NTS mode <see cref="NtsLoadSession.Verify"/> with the session
    /// of the client the origin names), then <see cref="ReplyVerdict.BadUdpChecksum"/> when the UDP
    /// checksum is wrong (unless <paramref name="checksumPending"/>: the kernel left it to offload) and
    /// <see cref="ReplyVerdict.WrongClient"/> when the reply is not addressed to the client that sent the request its origin names.
    /// </summary>
    public bool TryJudgeReply(ReadOnlySpan<byte> frame, bool checksumPending, long nowUnixNanoseconds, long maxSkewNanoseconds,
        out ReplyVerdict verdict, out ulong origin)
    {
        verdict = default;
        origin = 0;
        if (UdpFrame.TryParse(frame, out UdpFrame reply, UdpChecksumPolicy.Skip) != FrameError.None || !IsFromTarget(reply)) return false;
        verdict = _sessions is null
            ? NtpProbe.Verify(reply.Payload, nowUnixNanoseconds, maxSkewNanoseconds, out origin)
            : NtpHeader.TryRead(reply.Payload, out NtpHeader header)
                ? SessionOf(ClientOf((uint)header.OriginTime.Value)).Verify(reply.Payload, nowUnixNanoseconds, maxSkewNanoseconds, out origin)
                : ReplyVerdict.TooShort;
        if (!checksumPending && UdpFrame.TryParse(frame, out _) != FrameError.None)
            verdict = ReplyVerdict.BadUdpChecksum;
        else if (verdict is ReplyVerdict.Valid or ReplyVerdict.KissOfDeath && !IsForClientOf(reply, origin))
            verdict = ReplyVerdict.WrongClient;
        return true;
    }

    private bool IsFromTarget(in UdpFrame frame) =>
        frame.IsIPv6 == _isIPv6 && frame.SourcePort == _targetPort && frame.SourceAddress.SequenceEqual(_targetAddress);

    private bool IsForClientOf(in UdpFrame reply, ulong origin)
    {
        int client = ClientOf((uint)origin);
        ReadOnlySpan<byte> destination = reply.DestinationAddress;
        int prefix = destination.Length - 4;
        return reply.DestinationPort == ClientPort(client) &&
               BinaryPrimitives.ReadUInt32BigEndian(destination[prefix..]) == ClientAddressLow(client) &&
               destination[..prefix].SequenceEqual(_template.AsSpan(_sourceLowOffset - prefix, prefix));
    }
}
