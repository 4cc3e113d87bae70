using System.Buffers.Binary;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>NTS-KE record types (RFC 8915 section 4.1), without the critical bit.</summary>
public enum NtsKeRecordType : ushort
{
    EndOfMessage = 0,
    NextProtocol = 1,
    Error = 2,
    Warning = 3,
    AeadAlgorithm = 4,
    NewCookie = 5,
    NtpServer = 6,
    NtpPort = 7,
}

/// <summary>Error codes an NTS-KE server sends in an Error record.</summary>
public enum NtsKeErrorCode : ushort
{
    UnrecognizedCriticalRecord = 0,
    BadRequest = 1,
    InternalServerError = 2,
}

/// <summary>One decoded record: critical bit, type and body.</summary>
public readonly ref struct NtsKeRecord
{
    public const int HeaderLength = 4;
    public const ushort CriticalBit = 0x8000;

    public NtsKeRecord(bool critical, NtsKeRecordType type, ReadOnlySpan<byte> body)
    {
        Critical = critical;
        Type = type;
        Body = body;
    }

    public bool Critical { get; }

    /// <summary>The 15-bit record type; values this enum does not name are records we do not know.</summary>
    public NtsKeRecordType Type { get; }

    public ReadOnlySpan<byte> Body { get; }
}

/// <summary>Walks NTS-KE records; never throws. A record cut short by the end of the buffer ends the walk with <see cref="Truncated"/> set.</summary>
public ref struct NtsKeRecordReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _offset;

    public NtsKeRecordReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _offset = 0;
        Current = default;
    }

    public NtsKeRecord Current { get; private set; }

    /// <summary>Octets consumed by the records read so far.</summary>
    public readonly int Offset => _offset;

    /// <summary>True when the walk stopped at an incomplete record rather than at the end of the buffer.</summary>
    public readonly bool Truncated => _offset < _buffer.Length;

    public bool MoveNext()
    {
        ReadOnlySpan<byte> rest = _buffer[_offset..];
        if (rest.Length < NtsKeRecord.HeaderLength) return false;
        ushort first = BinaryPrimitives.ReadUInt16BigEndian(rest);
        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
        if (rest.Length - NtsKeRecord.HeaderLength < bodyLength) return false;

        Current = new NtsKeRecord(
            (first & NtsKeRecord.CriticalBit) != 0,
            (NtsKeRecordType)(first & ~NtsKeRecord.CriticalBit),
            rest.Slice(NtsKeRecord.HeaderLength, bodyLength));
        _offset += NtsKeRecord.HeaderLength + bodyLength;
        return true;
    }
}

/// <summary>Writes NTS-KE records into a span; each method returns false, writing nothing, when the record does not fit.</summary>
public ref struct NtsKeRecordWriter
{
    private readonly Span<byte> _destination;

    public NtsKeRecordWriter(Span<byte> destination)
    {
        _destination = destination;
        Written = 0;
    }

    public int Written { get; private set; }

    public readonly ReadOnlySpan<byte> WrittenSpan => _destination[..Written];

    public bool TryWrite(NtsKeRecordType type, bool critical, scoped ReadOnlySpan<byte> body)
    {
        if (body.Length > ushort.MaxValue || (ushort)type >= NtsKeRecord.CriticalBit) return false;
        Span<byte> rest = _destination[Written..];
        if (rest.Length < NtsKeRecord.HeaderLength + body.Length) return false;
        BinaryPrimitives.WriteUInt16BigEndian(rest, (ushort)((ushort)type | (critical ? NtsKeRecord.CriticalBit : 0)));
        BinaryPrimitives.WriteUInt16BigEndian(rest[2..], (ushort)body.Length);
        body.CopyTo(rest[NtsKeRecord.HeaderLength..]);
        Written += NtsKeRecord.HeaderLength + body.Length;
        return true;
    }

    public bool TryWriteUInt16(NtsKeRecordType type, bool critical, ushort value)
    {
        Span<byte> body = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(body, value);
        return TryWrite(type, critical, body);
    }

    public bool TryWriteEndOfMessage() => TryWrite(NtsKeRecordType.EndOfMessage, critical: true, []);
}

public enum NtsKeMessageStatus : byte
{
    /// <summary>An End of Message record has arrived.</summary>
    Complete,
    /// <summary>No End of Message yet; read more.</summary>
    Incomplete,
}

/// <summary>Finds where an NTS-KE message ends, so a TCP reader knows when to stop.</summary>
public static class NtsKeMessage
{
    /// <summary>Scans <paramref name="buffer"/> for the End of Message record.</summary>
    /// <param name="length">On <see cref="NtsKeMessageStatus.Complete"/>, the octets up to and including End of Message.</param>
    public static NtsKeMessageStatus Scan(ReadOnlySpan<byte> buffer, out int length)
    {
        var reader = new NtsKeRecordReader(buffer);
        while (reader.MoveNext())
        {
            if (reader.Current.Type == NtsKeRecordType.EndOfMessage)
            {
                length = reader.Offset;
                return NtsKeMessageStatus.Complete;
            }
        }

        length = 0;
        return NtsKeMessageStatus.Incomplete;
    }

    /// <summary>The ALPN protocol an NTS-KE TLS session must agree on (RFC 8915 section 4).</summary>
    public const string Alpn = "ntske/1";

    /// <summary>RFC 8915's TLS exporter label.</summary>
    public const string ExporterLabel = "EXPORTER-network-time-security";

    /// <summary>Protocol id of NTPv4 in Next Protocol records and exporter contexts.</summary>
    public const ushort NtpV4ProtocolId = 0;

    public const int ExporterContextLength = 5;

    /// <summary>The exporter context (RFC 8915 section 5.1): protocol id, AEAD id, then 0 for C2S or 1 for S2C.</summary>
    public static void WriteExporterContext(Span<byte> destination, ushort aeadAlgorithm, bool serverToClient)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, NtpV4ProtocolId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], aeadAlgorithm);
        destination[4] = serverToClient ? (byte)1 : (byte)0;
    }

    /// <summary>Derives C2S and S2C (each <see cref="Aead.KeyLength"/> octets) for <paramref name="algorithm"/>; false when the export fails.</summary>
    public static bool TryExportKeys(INtsKeyExporter exporter, AeadAlgorithm algorithm, Span<byte> c2s, Span<byte> s2c)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        Span<byte> context = stackalloc byte[ExporterContextLength];
        WriteExporterContext(context, (ushort)algorithm, serverToClient: false);
        bool exported = exporter.TryExport(context, c2s);
        WriteExporterContext(context, (ushort)algorithm, serverToClient: true);
        return exporter.TryExport(context, s2c) && exported;
    }
}
