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
        DropReason reason = Validate(request, info.SourcePort);
        if (reason != DropReason.None) return ResponderResult.Drop(reason);
        if (response.Length < NtpHeader.Length) return ResponderResult.Drop(DropReason.ResponseBufferTooSmall);

        if (_nts is not null && request.Length > NtpHeader.Length && NtsResponder.CarriesCookie(request[NtpHeader.Length..]))
            return _nts.Handle(request, info, snapshot, response, ref clock);

        WriteReplyHeader(request, info.ReceiveTime, snapshot, response);
        NtpHeader.WriteTransmitTime(response, clock.Now());
        return ResponderResult.Respond(NtpHeader.Length);
    }

    /// <summary>Decides whether a request deserves an answer at all.</summary>
    internal static DropReason Validate(ReadOnlySpan<byte> request, ushort sourcePort)
    {
        if (request.Length < NtpHeader.Length) return DropReason.TooShort;

        byte first = request[0];
        int version = (first >> 3) & 0x7;
        if (version is 0 or > 4) return DropReason.UnsupportedVersion;

        DropReason modeReason = (NtpMode)(first & 0x7) switch
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
        if (modeReason != DropReason.None) return modeReason;

        ReadOnlySpan<byte> afterHeader = request[NtpHeader.Length..];
        if (afterHeader.IsEmpty) return DropReason.None;

        ExtensionFieldLayout layout = ExtensionFieldReader.Classify(afterHeader);
        return layout switch
        {
            // Extension fields exist only in NTPv4; earlier versions could carry a MAC and nothing else.
            ExtensionFieldLayout.Fields when version == 4 => DropReason.None,
            ExtensionFieldLayout.FieldsThenMac => DropReason.SymmetricKeyMac,
            _ => DropReason.MalformedExtensionFields,
        };
    }

    /// <summary>Writes every header field but the transmit timestamp, which the caller stamps last.</summary>
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
            ReferenceTime = snapshot.ReferenceTime,
            OriginTime = NtpHeader.ReadTransmitTime(request),
            ReceiveTime = receiveTime,
        };
        header.Write(response);
    }
}
