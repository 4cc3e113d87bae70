using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Policy;

/// <summary>
/// Writes kiss-o'-death replies (RFC 5905 §7.4): leap 3 (unsynchronized), stratum 0, the kiss code in the
/// reference id, the request's version, mode 4. The client's transmit timestamp is echoed as origin (so the
/// client accepts the kiss as an answer to its request) and also as receive and transmit time, as ntpd does:
/// a refused client learns no time, and the kiss still differs from the previous one and carries non-zero
/// timestamps, which chrony's duplicate and validity tests require before it honours a RATE. Root delay,
/// dispersion, precision and reference time are zero. A kiss is one 48-octet header, never longer than the
/// request it answers.
/// </summary>
public static class KissOfDeath
{
    /// <summary>
    /// Writes the kiss for <paramref name="request"/> into <paramref name="response"/>; returns its length, or 0
    /// (write nothing) when the request is shorter than an NTP header or the response buffer cannot hold one.
    /// </summary>
    /// <param name="minimumPoll">Poll exponent the kiss asks for at least; the request's own poll when larger.</param>
    public static int Write(ReadOnlySpan<byte> request, ReferenceId code, sbyte minimumPoll, Span<byte> response)
    {
        if (request.Length < NtpHeader.Length || response.Length < NtpHeader.Length) return 0;

        NtpTimestamp clientTransmit = NtpHeader.ReadTransmitTime(request);
        var header = new NtpHeader
        {
            Leap = LeapIndicator.Unsynchronized,
            Version = (byte)((request[0] >> 3) & 0x7),
            Mode = NtpMode.Server,
            Stratum = 0,
            Poll = Math.Max((sbyte)request[2], minimumPoll),
            ReferenceId = code,
            OriginTime = clientTransmit,
            ReceiveTime = clientTransmit,
            TransmitTime = clientTransmit,
        };
        header.Write(response);
        return NtpHeader.Length;
    }
}
