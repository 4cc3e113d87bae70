using System.Buffers.Binary;
using System.Text;

namespace FastNtp.Protocol.Nts;

/// <summary>Why a client rejected an NTS-KE response.</summary>
public enum NtsKeResponseError : byte
{
    None,
    /// <summary>The server sent an Error record (see <see cref="NtsKeResponse.ServerError"/>).</summary>
    ServerError,
    /// <summary>The server sent a Warning record, which this client does not understand.</summary>
    ServerWarning,
    /// <summary>The server does not speak NTPv4 over NTS.</summary>
    NoCommonProtocol,
    /// <summary>The server supports none of the AEAD algorithms offered.</summary>
    NoCommonAlgorithm,
    /// <summary>The response breaks RFC 8915's rules (duplicates, bad lengths, missing records, no End of Message).</summary>
    Malformed,
    UnrecognizedCriticalRecord,
    /// <summary>The server accepted but sent no cookies.</summary>
    NoCookies,
}

/// <summary>A decoded NTS-KE response, as a client sees it.</summary>
public sealed class NtsKeResponse
{
    /// <summary>
    /// Longest cookie accepted (chrony's limit too). Real servers use about 100 to 200 octets; a client must
    /// send every cookie back in an NTP request, so an unbounded one could not be carried.
    /// </summary>
    public const int MaxCookieLength = 256;

    public NtsKeResponseError Error { get; private init; }
    public ushort ServerError { get; private init; }
    public ushort Algorithm { get; private init; }
    /// <summary>The NTP server to use, or null for the NTS-KE server's own address.</summary>
    public string? NtpServer { get; private init; }
    /// <summary>The NTP port to use, or null for 123.</summary>
    public ushort? NtpPort { get; private init; }
    public IReadOnlyList<byte[]> Cookies { get; private init; } = [];

    /// <summary>The request a client sends: NTPv4, the given algorithms in preference order, End of Message.</summary>
    public static byte[] BuildRequest(ReadOnlySpan<ushort> algorithms)
    {
        byte[] buffer = new byte[4 * 3 + 2 + 2 * algorithms.Length];
        var writer = new NtsKeRecordWriter(buffer);
        Span<byte> list = stackalloc byte[2 * algorithms.Length];
        for (int i = 0; i < algorithms.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(list[(2 * i)..], algorithms[i]);
        writer.TryWriteUInt16(NtsKeRecordType.NextProtocol, critical: true, NtsKeMessage.NtpV4ProtocolId);
        writer.TryWrite(NtsKeRecordType.AeadAlgorithm, critical: true, list);
        writer.TryWriteEndOfMessage();
        return buffer[..writer.Written];
    }

    /// <summary>Decodes a complete response (up to and including End of Message). Never throws on bad input.</summary>
    public static NtsKeResponse Parse(ReadOnlySpan<byte> message, ReadOnlySpan<ushort> offeredAlgorithms)
    {
        var reader = new NtsKeRecordReader(message);
        bool sawProtocol = false, sawAlgorithm = false, sawEnd = false;
        int algorithm = -1;
        string? server = null;
        ushort? port = null;
        var cookies = new List<byte[]>();

        while (reader.MoveNext())
        {
            NtsKeRecord record = reader.Current;
            if (sawEnd) return Fail(NtsKeResponseError.Malformed);
            switch (record.Type)
            {
                case (ushort)NtsKeRecordType.EndOfMessage:
                    if (!record.Body.IsEmpty) return Fail(NtsKeResponseError.Malformed);
                    sawEnd = true;
                    break;
                case (ushort)NtsKeRecordType.NextProtocol:
                    if (sawProtocol) return Fail(NtsKeResponseError.Malformed);
                    sawProtocol = true;
                    if (record.Body.IsEmpty) return Fail(NtsKeResponseError.NoCommonProtocol);
                    if (record.Body.Length != 2 || BinaryPrimitives.ReadUInt16BigEndian(record.Body) != NtsKeMessage.NtpV4ProtocolId)
                        return Fail(NtsKeResponseError.Malformed);
                    break;
                case (ushort)NtsKeRecordType.Error:
                    return new NtsKeResponse
                    {
                        Error = NtsKeResponseError.ServerError,
                        ServerError = record.Body.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(record.Body) : ushort.MaxValue,
                    };
                case (ushort)NtsKeRecordType.Warning:
                    return Fail(NtsKeResponseError.ServerWarning);
                case (ushort)NtsKeRecordType.AeadAlgorithm:
                    if (sawAlgorithm) return Fail(NtsKeResponseError.Malformed);
                    sawAlgorithm = true;
                    if (record.Body.IsEmpty) return Fail(NtsKeResponseError.NoCommonAlgorithm);
                    if (record.Body.Length != 2) return Fail(NtsKeResponseError.Malformed);
                    algorithm = BinaryPrimitives.ReadUInt16BigEndian(record.Body);
                    if (!offeredAlgorithms.Contains((ushort)algorithm)) return Fail(NtsKeResponseError.Malformed);
                    break;
                case (ushort)NtsKeRecordType.NewCookie:
                    if (record.Body.IsEmpty || record.Body.Length > MaxCookieLength) return Fail(NtsKeResponseError.Malformed);
                    cookies.Add(record.Body.ToArray());
                    break;
                case (ushort)NtsKeRecordType.NtpServer:
                    if (server is not null || record.Body.IsEmpty || !IsPrintableAscii(record.Body)) return Fail(NtsKeResponseError.Malformed);
                    server = Encoding.ASCII.GetString(record.Body);
                    break;
                case (ushort)NtsKeRecordType.NtpPort:
                    if (port is not null || record.Body.Length != 2) return Fail(NtsKeResponseError.Malformed);
                    port = BinaryPrimitives.ReadUInt16BigEndian(record.Body);
                    break;
                default:
                    if (record.Critical) return Fail(NtsKeResponseError.UnrecognizedCriticalRecord);
                    break;
            }
        }

        if (reader.Truncated || !sawEnd || !sawProtocol || !sawAlgorithm) return Fail(NtsKeResponseError.Malformed);
        if (cookies.Count == 0) return Fail(NtsKeResponseError.NoCookies);
        return new NtsKeResponse { Algorithm = (ushort)algorithm, NtpServer = server, NtpPort = port, Cookies = cookies };
    }

    private static bool IsPrintableAscii(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if (b is < 0x21 or > 0x7E) return false;
        }

        return true;
    }

    private static NtsKeResponse Fail(NtsKeResponseError error) => new() { Error = error };
}
