namespace FastNtp.Protocol;

/// <summary>Numbers the specifications fix and more than one layer needs: defined here once.</summary>
public static class ProtocolConstants
{
    /// <summary>The NTP port (RFC 5905).</summary>
    public const ushort NtpPort = 123;

    /// <summary>The NTS-KE port (RFC 8915).</summary>
    public const ushort NtsKePort = 4460;

    /// <summary>
    /// The longest request a server answers: the UDP payload of an unfragmented IPv4 datagram on a 1500-byte
    /// MTU. NTS requests with a full set of cookie placeholders stay well below it; a reply is never longer
    /// than its request, so it also bounds every reply buffer.
    /// </summary>
    public const int MaxRequestLength = 1472;
}
