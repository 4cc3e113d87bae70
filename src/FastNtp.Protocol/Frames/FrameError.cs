namespace FastNtp.Protocol.Frames;

/// <summary>Why a frame is not a UDP datagram the frame codec handles; every reader returns one instead of throwing.</summary>
public enum FrameError : byte
{
    None = 0,
    /// <summary>Shorter than the 14-byte Ethernet II header.</summary>
    TruncatedEthernet,
    /// <summary>An 802.1Q or 802.1ad tag: VLAN frames are left to the kernel.</summary>
    VlanTagged,
    /// <summary>Neither IPv4 nor IPv6 (ARP, LLDP, an 802.3 length field, ...).</summary>
    UnsupportedEtherType,
    /// <summary>The IP version nibble does not match the EtherType.</summary>
    BadIpVersion,
    TruncatedIpv4,
    /// <summary>IHL below 5: not a valid IPv4 header.</summary>
    BadIpv4HeaderLength,
    /// <summary>IHL above 5: IPv4 options are not supported.</summary>
    Ipv4Options,
    /// <summary>Total length below the header or beyond the bytes present.</summary>
    BadIpv4TotalLength,
    BadIpv4Checksum,
    /// <summary>More-fragments set or a non-zero fragment offset.</summary>
    Ipv4Fragment,
    TruncatedIpv6,
    /// <summary>Payload length zero (a jumbogram) or beyond the bytes present.</summary>
    BadIpv6PayloadLength,
    /// <summary>The next header is an extension header (hop-by-hop, routing, fragment, ...), not UDP directly.</summary>
    Ipv6ExtensionHeader,
    /// <summary>The IP payload is another protocol.</summary>
    NotUdp,
    /// <summary>Fewer than 8 bytes after the IP header.</summary>
    TruncatedUdp,
    /// <summary>The UDP length field is below 8 or differs from the IP payload length.</summary>
    BadUdpLength,
    BadUdpChecksum,
    /// <summary>A zero UDP checksum over IPv6, which RFC 8200 section 8.1 forbids.</summary>
    MissingUdpChecksum,
}
