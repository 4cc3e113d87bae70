using System.Buffers.Binary;

namespace FastNtp.Protocol.Nts;

public enum NtsKeOutcome : byte
{
    /// <summary>NTPv4 and an AEAD algorithm agreed: answer with keys and cookies.</summary>
    Accept,
    /// <summary>Answer with an Error record.</summary>
    Error,
    /// <summary>The client offered no protocol we speak: answer with an empty Next Protocol record.</summary>
    NoCommonProtocol,
    /// <summary>The client offered no AEAD algorithm we support: answer with an empty AEAD record.</summary>
    NoCommonAlgorithm,
}

/// <summary>What an NTS-KE server decided about one request.</summary>
public readonly record struct NtsKeRequest(NtsKeOutcome Outcome, ushort Algorithm, NtsKeErrorCode Error)
{
    /// <summary>
    /// Applies RFC 8915 section 4 to a complete request (everything up to and including End of Message).
    /// The algorithm is the client's most preferred one that <paramref name="supportedAlgorithms"/> holds.
    /// </summary>
    public static NtsKeRequest Parse(ReadOnlySpan<byte> message, ReadOnlySpan<ushort> supportedAlgorithms)
    {
        var reader = new NtsKeRecordReader(message);
        bool sawProtocols = false, sawAlgorithms = false, sawEnd = false, offersNtpV4 = false;
        int chosen = -1;

        while (reader.MoveNext())
        {
            NtsKeRecord record = reader.Current;
            if (sawEnd) return Fail(NtsKeErrorCode.BadRequest);

            switch (record.Type)
            {
                case NtsKeRecordType.EndOfMessage:
                    if (!record.Critical || !record.Body.IsEmpty) return Fail(NtsKeErrorCode.BadRequest);
                    sawEnd = true;
                    break;

                case NtsKeRecordType.NextProtocol:
                    if (sawProtocols || !record.Critical || (record.Body.Length & 1) != 0) return Fail(NtsKeErrorCode.BadRequest);
                    sawProtocols = true;
                    for (int i = 0; i < record.Body.Length; i += 2)
                    {
                        if (BinaryPrimitives.ReadUInt16BigEndian(record.Body[i..]) == NtsKeMessage.NtpV4ProtocolId) offersNtpV4 = true;
                    }

                    break;

                case NtsKeRecordType.AeadAlgorithm:
                    if (sawAlgorithms || (record.Body.Length & 1) != 0) return Fail(NtsKeErrorCode.BadRequest);
                    sawAlgorithms = true;
                    for (int i = 0; i < record.Body.Length && chosen < 0; i += 2)
                    {
                        ushort offered = BinaryPrimitives.ReadUInt16BigEndian(record.Body[i..]);
                        if (supportedAlgorithms.Contains(offered)) chosen = offered;
                    }

                    break;

                // A client has no business sending errors or warnings.
                case NtsKeRecordType.Error:
                case NtsKeRecordType.Warning:
                    return Fail(NtsKeErrorCode.BadRequest);

                case NtsKeRecordType.NtpPort:
                    // A client may ask for a port; we answer with ours, but the request must still be well formed.
                    if (record.Body.Length != 2) return Fail(NtsKeErrorCode.BadRequest);
                    break;

                case NtsKeRecordType.NewCookie:
                case NtsKeRecordType.NtpServer:
                    break;

                default:
                    if (record.Critical) return Fail(NtsKeErrorCode.UnrecognizedCriticalRecord);
                    break;
            }
        }

        if (reader.Truncated || !sawEnd || !sawProtocols) return Fail(NtsKeErrorCode.BadRequest);
        if (!offersNtpV4) return new NtsKeRequest(NtsKeOutcome.NoCommonProtocol, 0, default);
        // NTPv4 requires the AEAD record (RFC 8915 section 4.1.5).
        if (!sawAlgorithms) return Fail(NtsKeErrorCode.BadRequest);
        if (chosen < 0) return new NtsKeRequest(NtsKeOutcome.NoCommonAlgorithm, 0, default);
        return new NtsKeRequest(NtsKeOutcome.Accept, (ushort)chosen, default);
    }

    private static NtsKeRequest Fail(NtsKeErrorCode code) => new(NtsKeOutcome.Error, 0, code);
}

/// <summary>Writes the non-cookie parts of NTS-KE server responses.</summary>
public static class NtsKeServerMessages
{
    /// <summary>Error record then End of Message; returns the length, or 0 if it does not fit.</summary>
    public static int WriteError(Span<byte> destination, NtsKeErrorCode code)
    {
        var writer = new NtsKeRecordWriter(destination);
        return writer.TryWriteUInt16(NtsKeRecordType.Error, critical: true, (ushort)code) && writer.TryWriteEndOfMessage()
            ? writer.Written
            : 0;
    }

    /// <summary>The refusal for a request with no common protocol or no common algorithm.</summary>
    public static int WriteRefusal(Span<byte> destination, NtsKeOutcome outcome)
    {
        var writer = new NtsKeRecordWriter(destination);
        bool ok = outcome == NtsKeOutcome.NoCommonProtocol
            ? writer.TryWrite(NtsKeRecordType.NextProtocol, critical: true, [])
            : writer.TryWriteUInt16(NtsKeRecordType.NextProtocol, critical: true, NtsKeMessage.NtpV4ProtocolId) &&
              writer.TryWrite(NtsKeRecordType.AeadAlgorithm, critical: true, []);
        return ok && writer.TryWriteEndOfMessage() ? writer.Written : 0;
    }

    /// <summary>
    /// Starts an accepting response: Next Protocol NTPv4, the algorithm and, where the NTP service lives elsewhere,
    /// its server name (ASCII) and port. The caller appends New Cookie records and End of Message.
    /// </summary>
    public static bool TryWriteAcceptHead(ref NtsKeRecordWriter writer, ushort algorithm, scoped ReadOnlySpan<byte> ntpServerAscii, int ntpPort)
    {
        if (!writer.TryWriteUInt16(NtsKeRecordType.NextProtocol, critical: true, NtsKeMessage.NtpV4ProtocolId)) return false;
        if (!writer.TryWriteUInt16(NtsKeRecordType.AeadAlgorithm, critical: true, algorithm)) return false;
        if (!ntpServerAscii.IsEmpty && !writer.TryWrite(NtsKeRecordType.NtpServer, critical: true, ntpServerAscii)) return false;
        return ntpPort < 0 || writer.TryWriteUInt16(NtsKeRecordType.NtpPort, critical: true, (ushort)ntpPort);
    }
}
