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
internal sealed record RawFrameOptions(string Interface, MacAddress SourceMac, MacAddress DestinationMac, IPAddress FirstClient, int Addresses)
{
    /// <summary>Source ports of simulated clients start here (clear of the well-known range).</summary>
    public const int FirstPort = 1024;

    /// <summary>One line naming what is wrong, or null.</summary>
    public static string? Validate(RawFrameOptions raw, IPEndPoint target, int clients, int threads)
    {
        if (threads != 1) return "--raw uses one load thread (one packet socket sees every reply on the interface): --threads must be 1.";
        if (raw.FirstClient.AddressFamily != target.AddressFamily) return "--raw-client must be of the same address family as --target.";
        if (raw.Addresses < 1) return "--raw-addresses must be at least 1.";
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

/// <summary>
/// Request frames for raw-frame mode: one template (Ethernet, IP, UDP, an NTPv4 client request with a zero
/// transmit timestamp) built with the frame codec, stamped per request with the client's address and port
/// and the transmit timestamp, its checksums updated incrementally (RFC 1624) rather than recomputed. Client
/// <c>c</c> has address FirstClient + (c mod Addresses) and port 1024 + c / Addresses; request number
/// <c>s</c> of the thread goes out from client <c>s mod clients</c>, so a reply's origin names the client it must go to.
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

    public RawRequestFrames(RawFrameOptions options, IPEndPoint target, int clients)
    {
        _clients = clients;
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
    }

    public int FrameLength { get; }

    public bool IsIPv6 => _isIPv6;

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

    /// <summary>RFC 1624 equation 3 with every old word zero (~0 = 0xFFFF adds nothing in ones' complement); zero is sent as 0xFFFF.</summary>
    private static ushort UdpChecksumAfterAdding(ushort checksum, ulong addedWords)
    {
        ushort updated = (ushort)~InternetChecksum.Fold((ushort)~checksum + addedWords);
        return updated == 0 ? (ushort)0xFFFF : updated;
    }

    /// <summary>
    /// Judges one received frame. False when it is none of the run's business: not a UDP datagram from the target's
    /// address and port (ARP, neighbour discovery, anything else on the interface). Otherwise the verdict is the NTP
    /// reply checks of <see cref="NtpProbe.Verify"/>, then <see cref="ReplyVerdict.BadUdpChecksum"/> when the UDP
    /// checksum is wrong (unless <paramref name="checksumPending"/>: the kernel left it to offload) and
    /// <see cref="ReplyVerdict.WrongClient"/> when the reply is not addressed to the client that sent the request its origin names.
    /// </summary>
    public bool TryJudgeReply(ReadOnlySpan<byte> frame, bool checksumPending, long nowUnixNanoseconds, long maxSkewNanoseconds,
        out ReplyVerdict verdict, out ulong origin)
    {
        verdict = default;
        origin = 0;
        if (UdpFrame.TryParse(frame, out UdpFrame reply, UdpChecksumPolicy.Skip) != FrameError.None || !IsFromTarget(reply)) return false;
        verdict = NtpProbe.Verify(reply.Payload, nowUnixNanoseconds, maxSkewNanoseconds, out origin);
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
