using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Client;

/// <summary>Why a reply to our request was not a usable time sample.</summary>
public enum ReplyError : byte
{
    None = 0,
    TooShort,
    /// <summary>Not mode 4, or a version we did not ask for.</summary>
    NotAServerReply,
    /// <summary>The origin timestamp is not the transmit timestamp we sent: stale, duplicated or spoofed.</summary>
    OriginMismatch,
    /// <summary>Stratum 0: a kiss-o'-death; <see cref="ClientSample.KissCode"/> says which.</summary>
    KissOfDeath,
    /// <summary>Leap 3 or stratum 16 or more: the server has no time to give.</summary>
    Unsynchronized,
    /// <summary>A zero receive or transmit timestamp, or transmit before receive.</summary>
    BogusTimestamps,
}

/// <summary>One request/reply exchange, reduced to what a client needs (RFC 5905 section 8).</summary>
public readonly record struct ClientSample(
    ReplyError Error,
    NtpDuration Offset,
    NtpDuration Delay,
    LeapIndicator Leap,
    byte Version,
    byte Stratum,
    sbyte Poll,
    sbyte Precision,
    NtpDuration RootDelay,
    NtpDuration RootDispersion,
    ReferenceId ReferenceId,
    NtpTimestamp ReferenceTime,
    ReferenceId KissCode)
{
    public bool IsValid => Error == ReplyError.None;
}

/// <summary>The client half of NTP, sans I/O: builds requests and checks replies.</summary>
public static class ClientExchange
{
    /// <summary>
    /// Writes a 48-byte mode-3 request. The transmit timestamp is whatever the caller chooses: a random value
    /// (as chrony sends, so the request reveals nothing about the clock) or the real time; it is what the
    /// reply's origin must echo.
    /// </summary>
    public static int WriteRequest(Span<byte> destination, NtpTimestamp transmit, sbyte poll = 6, byte version = 4)
    {
        var header = new NtpHeader
        {
            Leap = LeapIndicator.Unsynchronized,
            Version = version,
            Mode = NtpMode.Client,
            Poll = poll,
            TransmitTime = transmit,
        };
        header.Write(destination);
        return NtpHeader.Length;
    }

    /// <summary>
    /// Checks a reply against the request it answers and computes offset and delay from the four timestamps:
    /// T1 = <paramref name="requestSentAt"/>, T2/T3 from the reply, T4 = <paramref name="replyReceivedAt"/>.
    /// </summary>
    /// <param name="sentTransmit">The transmit timestamp written into the request (the expected origin).</param>
    public static ClientSample ReadReply(
        ReadOnlySpan<byte> reply, NtpTimestamp sentTransmit, NtpTimestamp requestSentAt, NtpTimestamp replyReceivedAt,
        byte expectedVersion = 4)
    {
        if (!NtpHeader.TryRead(reply, out NtpHeader h)) return Failed(ReplyError.TooShort, default);
        if (h.Mode != NtpMode.Server || h.Version != expectedVersion) return Failed(ReplyError.NotAServerReply, h);
        if (h.OriginTime != sentTransmit) return Failed(ReplyError.OriginMismatch, h);
        if (h.Stratum == 0) return Failed(ReplyError.KissOfDeath, h) with { KissCode = h.ReferenceId };
        if (h.Leap == LeapIndicator.Unsynchronized || h.Stratum >= 16) return Failed(ReplyError.Unsynchronized, h);
        if (h.ReceiveTime.IsZero || h.TransmitTime.IsZero || h.TransmitTime.CompareTo(h.ReceiveTime) < 0)
            return Failed(ReplyError.BogusTimestamps, h);

        // offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2); differences first, so eras cancel.
        NtpDuration t21 = h.ReceiveTime - requestSentAt;
        NtpDuration t34 = h.TransmitTime - replyReceivedAt;
        NtpDuration offset = new((t21.Raw >> 1) + (t34.Raw >> 1));
        var delay = NtpDuration.Max(NtpDuration.Zero, (replyReceivedAt - requestSentAt) - (h.TransmitTime - h.ReceiveTime));
        return FromHeader(ReplyError.None, h) with { Offset = offset, Delay = delay };
    }

    private static ClientSample Failed(ReplyError error, in NtpHeader h) => FromHeader(error, h);

    private static ClientSample FromHeader(ReplyError error, in NtpHeader h) => new(
        error,
        NtpDuration.Zero,
        NtpDuration.Zero,
        h.Leap,
        h.Version,
        h.Stratum,
        h.Poll,
        h.Precision,
        NtpDuration.FromShortFormat(h.RootDelay),
        NtpDuration.FromShortFormat(h.RootDispersion),
        h.ReferenceId,
        h.ReferenceTime,
        default);
}
