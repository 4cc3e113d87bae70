using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;

namespace FastNtp.Protocol.Server;

/// <summary>What the I/O layer knows about a request besides its bytes.</summary>
/// <param name="ReceiveTime">When the request arrived, ideally the kernel's receive timestamp.</param>
/// <param name="SourcePort">The client's UDP port; NTPv1 requests from port 123 are not client requests.</param>
public readonly record struct RequestInfo(NtpTimestamp ReceiveTime, ushort SourcePort)
{
    /// <summary>The client's previous reply, as served, when interleaved mode is on and one is known.</summary>
    public PreviousReply Previous { get; init; }
}

/// <summary>
/// The served receive and transmit times of the last reply a client got (interleaved mode). The transmit time is
/// the kernel's stamp of when the reply left when there is one, else the time written into it; zero once an
/// interleaved reply has carried it.
/// </summary>
public readonly record struct PreviousReply(NtpTimestamp Receive, NtpTimestamp Transmit);

/// <summary>
/// Turns one request into one reply (or a reasoned drop): pure, allocation-free and never throwing on any
/// input. One instance serves one worker thread. A reply is never longer than its request, so FastNtp
/// cannot be used to amplify traffic.
/// </summary>
public sealed class Responder
{
    private readonly NtsResponder? _nts;

    /// <summary>A plain NTP responder: NTS fields in a request are ignored and the reply is unauthenticated.</summary>
    public Responder()
    {
    }

    /// <summary>A responder that also answers NTS requests (those carrying an NTS cookie) through <paramref name="nts"/>.</summary>
    public Responder(NtsResponder nts)
    {
        _nts = nts ?? throw new ArgumentNullException(nameof(nts));
    }

    /// <summary>This worker's NTS half, or null when NTS is off.</summary>
    public NtsResponder? Nts => _nts;

    public ResponderResult Handle<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response, ref TClock clock)
        where TClock : struct, IClock
    {
        DropReason reason = Inspect(request, info.SourcePort, out NtsRequestFields nts);
        return reason == DropReason.None
            ? Answer(request, nts, info, snapshot, response, ref clock)
            : ResponderResult.Drop(reason);
    }

    /// <summary>
    /// The first half of <see cref="Handle"/>, for an I/O layer that consults the client policy before the answer:
    /// decides whether the request deserves an answer at all and, with NTS on, reads its NTS fields
    /// (<see cref="NtsRequestFields.HasCookie"/> says whether it asks for NTS).
    /// </summary>
    public DropReason Inspect(ReadOnlySpan<byte> request, ushort sourcePort, out NtsRequestFields nts)
    {
        nts = default;
        DropReason reason = ValidateHeader(request, sourcePort);
        if (reason != DropReason.None) return reason;

        ReadOnlySpan<byte> afterHeader = request[NtpHeader.Length..];
        if (afterHeader.IsEmpty) return DropReason.None;
        // With NTS on, the NTS walk is the only walk over the fields: it also yields their layout.
        if (_nts is not null) nts = NtsRequestFields.Read(afterHeader);
        return ValidateLayout(_nts is null ? ExtensionFieldReader.Classify(afterHeader) : nts.Layout, request[0]);
    }

    /// <summary>The second half of <see cref="Handle"/>: answers a request <see cref="Inspect"/> accepted.</summary>
    public ResponderResult Answer<TClock>(
        ReadOnlySpan<byte> request, in NtsRequestFields nts, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response,
        ref TClock clock)
        where TClock : struct, IClock
    {
        if (response.Length < NtpHeader.Length) return ResponderResult.Drop(DropReason.ResponseBufferTooSmall);
        if (nts.HasCookie) return _nts!.Handle(request, nts, info, snapshot, response, ref clock);

        bool interleaved = WriteReplyHeader(request, info, snapshot, response);
        WriteTransmitTime(response, info, interleaved, snapshot, ref clock);
        return ResponderResult.Respond(NtpHeader.Length) with { Interleaved = interleaved };
    }

    /// <summary>
    /// An interleaved request as chrony's clients send it (<c>xleave</c>): NTPv4, its origin timestamp is the
    /// receive timestamp of the previous reply this client got, and its receive and transmit timestamps differ
    /// (a basic request carries the previous reply's transmit timestamp, or zero, as origin). It can be answered
    /// interleaved only while that reply's transmit time is known and unused.
    /// </summary>
    internal static bool IsInterleaved(ReadOnlySpan<byte> request, in PreviousReply previous) =>
        !previous.Receive.IsZero && !previous.Transmit.IsZero
        && ((request[0] >> 3) & 0x7) == 4
        && NtpHeader.ReadOriginTime(request) == previous.Receive
        && NtpHeader.ReadReceiveTime(request) != NtpHeader.ReadTransmitTime(request);

    /// <summary>
    /// Stamps the transmit time last: now (served), or in an interleaved reply the previous reply's transmit time,
    /// which the client pairs with that reply's receive time.
    /// </summary>
    internal static void WriteTransmitTime<TClock>(
        Span<byte> response, in RequestInfo info, bool interleaved, ServerSnapshot snapshot, ref TClock clock)
        where TClock : struct, IClock =>
        NtpHeader.WriteTransmitTime(response, interleaved ? info.Previous.Transmit : snapshot.ServedTime(clock.Now()));

    /// <summary>Decides from length, version and mode whether a request deserves an answer at all.</summary>
    private static DropReason ValidateHeader(ReadOnlySpan<byte> request, ushort sourcePort)
    {
        if (request.Length < NtpHeader.Length) return DropReason.TooShort;

        byte first = request[0];
        int version = (first >> 3) & 0x7;
        if (version is 0 or > 4) return DropReason.UnsupportedVersion;

        return (NtpMode)(first & 0x7) switch
        {
            NtpMode.Client => DropReason.None,
            // NTPv1 has no mode field; chrony treats such a packet from an ephemeral port as a client request.
            NtpMode.Reserved when version == 1 && sourcePort != ProtocolConstants.NtpPort => DropReason.None,
            NtpMode.Reserved => DropReason.ReservedMode,
            NtpMode.SymmetricActive or NtpMode.SymmetricPassive => DropReason.SymmetricMode,
            NtpMode.Server or NtpMode.Broadcast => DropReason.ServerMode,
            NtpMode.Control => DropReason.ControlMode,
            _ => DropReason.PrivateMode,
        };
    }

    /// <summary>What follows the header of a request whose first octet is <paramref name="first"/>.</summary>
    private static DropReason ValidateLayout(ExtensionFieldLayout layout, byte first) => layout switch
    {
        // Extension fields exist only in NTPv4; earlier versions could carry a MAC and nothing else.
        ExtensionFieldLayout.Fields when ((first >> 3) & 0x7) == 4 => DropReason.None,
        ExtensionFieldLayout.FieldsThenMac => DropReason.SymmetricKeyMac,
        _ => DropReason.MalformedExtensionFields,
    };

    /// <summary>
    /// Writes every header field but the transmit timestamp, which the caller stamps last (through
    /// <see cref="WriteTransmitTime"/>). Returns whether the reply is interleaved: then its origin is the request's
    /// receive timestamp instead of its transmit timestamp.
    /// </summary>
    internal static bool WriteReplyHeader(ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response)
    {
        bool interleaved = IsInterleaved(request, info.Previous);
        WriteReplyHeader(
            request, info.ReceiveTime, interleaved ? NtpHeader.ReadReceiveTime(request) : NtpHeader.ReadTransmitTime(request),
            snapshot, response);
        return interleaved;
    }

    /// <summary>The header of a basic-mode reply, or a NAK's, origin given; every timestamp served through <see cref="ServerSnapshot.ServedTime"/>.</summary>
    internal static void WriteReplyHeader(
        ReadOnlySpan<byte> request, NtpTimestamp receiveTime, NtpTimestamp origin, ServerSnapshot snapshot, Span<byte> response)
    {
        var header = new NtpHeader
        {
            Leap = snapshot.Leap,
            Version = (byte)((request[0] >> 3) & 0x7),
            Mode = NtpMode.Server,
            Stratum = snapshot.Stratum,
            Poll = (sbyte)request[2],
            Precision = snapshot.Precision,
            RootDelay = snapshot.RootDelay.ToShortFormat(),
            RootDispersion = snapshot.RootDispersionAt(receiveTime),
            ReferenceId = snapshot.ReferenceId,
            ReferenceTime = snapshot.ReferenceTime.IsZero ? NtpTimestamp.Zero : snapshot.ServedTime(snapshot.ReferenceTime),
            OriginTime = origin,
            ReceiveTime = snapshot.ServedTime(receiveTime),
        };
        header.Write(response);
    }
}
