using System.Buffers.Binary;

namespace FastNtp.Protocol.Ntp;

public enum ExtensionFieldLayout : byte
{
    /// <summary>Nothing follows the header.</summary>
    None,
    /// <summary>One or more well-formed extension fields and nothing else.</summary>
    Fields,
    /// <summary>Zero or more extension fields followed by a legacy symmetric-key MAC (20 or 24 octets).</summary>
    FieldsThenMac,
    /// <summary>A length that overruns the packet, is under 16 octets, or is not a multiple of 4.</summary>
    Malformed,
}

/// <summary>One extension field: its type and its value (the octets after the 4-octet field header, padding included).</summary>
public readonly ref struct ExtensionField
{
    public const int HeaderLength = 4;
    public const int MinimumLength = 16;

    public ExtensionField(ushort type, ReadOnlySpan<byte> value)
    {
        Type = type;
        Value = value;
    }

    public ushort Type { get; }

    public ReadOnlySpan<byte> Value { get; }

    public int Length => HeaderLength + Value.Length;
}

/// <summary>
/// Walks the extension fields after an NTPv4 header (RFC 7822). A field is a 16-bit type, a 16-bit length
/// that counts the whole field, and the value padded to a 32-bit boundary; fields are at least 16 octets.
/// Where 20 or 24 octets remain they are a legacy MAC, as RFC 7822 disambiguates. Never throws.
/// </summary>
public ref struct ExtensionFieldReader
{
    private const int Md5MacLength = 20;
    private const int Sha1MacLength = 24;

    private readonly ReadOnlySpan<byte> _fields;
    private int _offset;

    /// <param name="afterHeader">The packet from octet 48 to its end.</param>
    public ExtensionFieldReader(ReadOnlySpan<byte> afterHeader)
    {
        _fields = afterHeader;
        _offset = 0;
        Current = default;
    }

    public ExtensionField Current { get; private set; }

    /// <summary>Offset of the next unread octet, relative to the end of the header.</summary>
    public readonly int Offset => _offset;

    /// <summary>Advances to the next field; false at the end, at a MAC, or at a malformed field.</summary>
    public bool MoveNext()
    {
        int remaining = _fields.Length - _offset;
        if (remaining < ExtensionField.MinimumLength || IsMacLength(remaining))
            return false;

        ReadOnlySpan<byte> rest = _fields[_offset..];
        int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
        if (length < ExtensionField.MinimumLength || (length & 3) != 0 || length > remaining)
            return false;

        Current = new ExtensionField(BinaryPrimitives.ReadUInt16BigEndian(rest), rest[ExtensionField.HeaderLength..length]);
        _offset += length;
        return true;
    }

    /// <summary>Classifies everything after the header in one pass without keeping the fields.</summary>
    public static ExtensionFieldLayout Classify(ReadOnlySpan<byte> afterHeader)
    {
        if (afterHeader.IsEmpty) return ExtensionFieldLayout.None;
        var reader = new ExtensionFieldReader(afterHeader);
        while (reader.MoveNext())
        {
        }

        return reader.Layout;
    }

    /// <summary>What the walk found, valid once <see cref="MoveNext"/> has returned false.</summary>
    public readonly ExtensionFieldLayout Layout
    {
        get
        {
            int remaining = _fields.Length - _offset;
            if (remaining == 0) return _fields.IsEmpty ? ExtensionFieldLayout.None : ExtensionFieldLayout.Fields;
            return IsMacLength(remaining) ? ExtensionFieldLayout.FieldsThenMac : ExtensionFieldLayout.Malformed;
        }
    }

    private static bool IsMacLength(int remaining) => remaining is Md5MacLength or Sha1MacLength;
}

/// <summary>Writes extension fields into a packet, padding each value to a 32-bit boundary.</summary>
public static class ExtensionFieldWriter
{
    /// <summary>The field length that carries <paramref name="valueLength"/> octets: padded, at least 16.</summary>
    public static int FieldLength(int valueLength) =>
        Math.Max(ExtensionField.MinimumLength, ExtensionField.HeaderLength + ((valueLength + 3) & ~3));

    /// <summary>Writes one field at the start of <paramref name="destination"/>; returns the octets written.</summary>
    public static int Write(Span<byte> destination, ushort type, ReadOnlySpan<byte> value)
    {
        int length = FieldLength(value.Length);
        if (length > ushort.MaxValue || destination.Length < length)
            throw new ArgumentException("The extension field does not fit.", nameof(destination));

        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        value.CopyTo(destination[ExtensionField.HeaderLength..]);
        destination[(ExtensionField.HeaderLength + value.Length)..length].Clear();
        return length;
    }
}
