using System.Buffers.Binary;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest;

/// <summary>What the checks made of one received datagram.</summary>
internal enum ReplyVerdict : byte
{
    Valid,
    /// <summary>A well-formed kiss-o'-death (stratum 0, ASCII kiss code): counted apart, not as an answer.</summary>
    KissOfDeath,
    TooShort,
    BadMode,
    BadVersion,
    BadStratum,
    ZeroTimestamp,
    ReceiveAfterTransmit,
    /// <summary>The server's transmit time is further from our clock than the allowed skew.</summary>
    TimestampOutOfRange,
    /// <summary>NTS mode: the server refused the cookie (kiss code NTSN); counted invalid, not as a kiss-o'-death.</summary>
    NtsNak,
    /// <summary>NTS mode: the reply carries no unique identifier.</summary>
    NtsNoUniqueId,
    /// <summary>NTS mode: the unique identifier is not the one of the request the origin names.</summary>
    NtsWrongUniqueId,
    /// <summary>NTS mode: no authenticator field.</summary>
    NtsNoAuthenticator,
    /// <summary>NTS mode: the authenticator does not open with the S2C key.</summary>
    NtsAuthenticationFailed,
    /// <summary>NTS mode: malformed extension fields or authenticator, or fields after the authenticator.</summary>
    NtsMalformed,
    /// <summary>Raw-frame mode: the reply frame's UDP checksum is wrong.</summary>
    BadUdpChecksum,
    /// <summary>Raw-frame mode: the reply is not addressed to the client (address and port) that sent the request its origin names.</summary>
    WrongClient,
    /// <summary>Reply sink: IPv4 options or fragment, a bad IPv4 header checksum, lengths that disagree, a truncated frame.</summary>
    MalformedFrame,
    /// <summary>Reply sink: a plain reply not exactly 48 octets, or an NTS reply too short for its fields or longer than the request.</summary>
    BadLength,
}

/// <summary>Client requests as the generator sends them, and the header checks every reply must pass.</summary>
internal static class NtpProbe
{
    public const byte Version = 4;
    public const int RequestLength = NtpHeader.Length;

    /// <summary>Writes a mode-3 NTPv4 request whose only non-zero field is the transmit timestamp.</summary>
    public static void WriteRequest(Span<byte> destination, ulong transmit)
    {
        destination[..RequestLength].Clear();
        destination[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, Version, NtpMode.Client);
        BinaryPrimitives.WriteUInt64BigEndian(destination[40..], transmit);
    }

    /// <summary>
    /// Checks a reply's header: mode 4, our version, stratum 1–15 (or a kiss-o'-death), receive and
    /// transmit set, receive not after transmit, transmit within <paramref name="maxSkewNanoseconds"/> of
    /// <paramref name="nowUnixNanoseconds"/>. The origin it echoes is returned for matching to a request.
    /// </summary>
    public static ReplyVerdict Verify(ReadOnlySpan<byte> reply, long nowUnixNanoseconds, long maxSkewNanoseconds, out ulong origin)
    {
        origin = 0;
        if (!NtpHeader.TryRead(reply, out NtpHeader header)) return ReplyVerdict.TooShort;
        origin = header.OriginTime.Value;
        if (header.Mode != NtpMode.Server) return ReplyVerdict.BadMode;
        if (header.Version != Version) return ReplyVerdict.BadVersion;
        if (header.Stratum == 0)
            return IsKissCode(header.ReferenceId.Value) ? ReplyVerdict.KissOfDeath : ReplyVerdict.BadStratum;
        if (header.Stratum > 15) return ReplyVerdict.BadStratum;
        if (header.ReceiveTime.IsZero || header.TransmitTime.IsZero) return ReplyVerdict.ZeroTimestamp;
        if (header.ReceiveTime.CompareTo(header.TransmitTime) > 0) return ReplyVerdict.ReceiveAfterTransmit;
        long skew = header.TransmitTime.ToUnixNanoseconds(nowUnixNanoseconds) - nowUnixNanoseconds;
        if (Math.Abs(skew) > maxSkewNanoseconds) return ReplyVerdict.TimestampOutOfRange;
        return ReplyVerdict.Valid;
    }

    /// <summary>RFC 5905 7.4: a kiss code is four ASCII characters, upper-case letters or digits, space-padded.</summary>
    private static bool IsKissCode(uint referenceId)
    {
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            char c = (char)((referenceId >> shift) & 0xFF);
            if (!(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || (c == ' ' && shift < 24))) return false;
        }

        return true;
    }
}

/// <summary>How a reply's origin timestamp relates to the requests this thread sent.</summary>
internal enum MatchResult : byte
{
    Matched,
    Duplicate,
    /// <summary>Ours, but so old its slot has been reused: the request was already counted as lost.</summary>
    Late,
    /// <summary>Not a transmit timestamp this thread sent.</summary>
    Unknown,
}

/// <summary>
/// The requests in flight on one load thread, in a power-of-two ring indexed by a sequence number that
/// travels in the low 32 bits of the transmit timestamp (the high 32 carry the send second, so the
/// request still looks like a client's). A reply is matched by the origin it echoes: no hashing, no
/// allocation, and the send time gives the round-trip latency.
/// </summary>
internal sealed class RequestTracker
{
    private struct Slot
    {
        public ulong Transmit;
        public long SendTicks;
        public int Step;
        public bool Answered;
    }

    private readonly Slot[] _slots;
    private readonly uint _mask;
    private uint _next;

    public RequestTracker(int capacity, uint firstSequence = 0)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), "The capacity must be a power of two.");
        _slots = new Slot[capacity];
        _mask = (uint)capacity - 1;
        _next = firstSequence;
    }

    public int Capacity => _slots.Length;

    /// <summary>
    /// Allocates the next sequence number and returns the transmit timestamp that carries it, <paramref name="high"/>
    /// (the send second, or the raw-frame run's tag and step) in its upper half.
    /// </summary>
    public ulong Next(uint high, long sendTicks, int step)
    {
        ulong transmit = ((ulong)high << 32) | _next;
        Register(transmit, sendTicks, step);
        return transmit;
    }

    /// <summary>
    /// Tracks a request whose transmit timestamp was made in advance (raw NTS mode's pre-built requests), its sequence
    /// number in the low 32 bits; the next <see cref="Next"/> follows it.
    /// </summary>
    public void Register(ulong transmit, long sendTicks, int step)
    {
        uint sequence = (uint)transmit;
        _next = sequence + 1;
        ref Slot slot = ref _slots[sequence & _mask];
        slot.Transmit = transmit;
        slot.SendTicks = sendTicks;
        slot.Step = step;
        slot.Answered = false;
    }

    public MatchResult Match(ulong origin, out long sendTicks, out int step)
    {
        uint sequence = (uint)origin;
        ref Slot slot = ref _slots[sequence & _mask];
        sendTicks = slot.SendTicks;
        step = slot.Step;
        if (slot.Transmit == origin && origin != 0)
        {
            if (slot.Answered) return MatchResult.Duplicate;
            slot.Answered = true;
            return MatchResult.Matched;
        }

        // Distance back from the next sequence; beyond the ring but within half the space it is one of ours, expired.
        uint age = _next - sequence;
        return age > (uint)_slots.Length && age < 0x8000_0000u ? MatchResult.Late : MatchResult.Unknown;
    }
}
