using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;

namespace FastNtp.Protocol.Server;

/// <summary>What the I/O layer knows about a request besides its bytes.</summary>
/// <param name="ReceiveTime">When the request arrived, ideally the kernel's receive timestamp.</param>
/// <param name="SourcePort">The client's UDP port; NTPv1 requests from port 123 are not client requests.</param>
public readonly record struct RequestInfo(NtpTimestamp ReceiveTime, ushort SourcePort);

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

        WriteReplyHeader(request, info.ReceiveTime, snapshot, response);
        NtpHeader.WriteTransmitTime(response, snapshot.ServedTime(clock.Now()));
        return ResponderResult.Respond(NtpHeader.Length);
    }

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
    /// <see cref="ServerSnapshot.ServedTime"/>, as the receive and reference timestamps here).
    /// </summary>
    internal static void WriteReplyHeader(
        ReadOnlySpan<byte> request, NtpTimestamp receiveTime, ServerSnapshot snapshot, Span<byte> response)
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
            OriginTime = NtpHeader.ReadTransmitTime(request),
            ReceiveTime = snapshot.ServedTime(receiveTime),
        };
        header.Write(response);
    }
}
