namespace FastNtp.Protocol.Tests.Ntp;

/// <summary>
/// Adversarial packets: biased toward the shapes where parsers go wrong (just under 48 octets, exactly 48,
/// extension fields with valid, short, unaligned and overrunning lengths, legacy MACs, trailing garbage).
/// </summary>
internal static class PacketGenerators
{
    private static readonly ushort[] InterestingTypes = [0x0104, 0x0204, 0x0304, 0x0404, 0x0000, 0xFFFF, 0x2005];

    private static Gen<ushort> FieldType =>
        Gen.Frequency(
            (1, Gen.Elements(InterestingTypes)),
            (1, Gen.Choose(0, 0xFFFF).Select(t => (ushort)t)));

    private static Gen<byte[]> ValidField =>
        from type in FieldType
        from words in Gen.Choose(4, 24)
        from body in NtpGenerators.Bytes(words * 4)
        select WithHeader(body, type, words * 4);

    /// <summary>A field whose declared length is anything and whose octets may be more or fewer.</summary>
    private static Gen<byte[]> ArbitraryField =>
        from type in FieldType
        from declared in Gen.Frequency(
            (3, Gen.Choose(0, 80)),
            (1, Gen.Elements(0, 4, 12, 15, 17, 18, 19, 20, 24, 65532, 65535)))
        from actual in Gen.Frequency(
            (3, Gen.Constant(Math.Max(4, declared))),
            (1, Gen.Choose(4, 90)))
        from body in NtpGenerators.Bytes(Math.Min(actual, 200))
        select WithHeader(body, type, declared);

    private static Gen<byte[]> Trailer =>
        Gen.Frequency(
            (4, Gen.Constant(Array.Empty<byte>())),
            (1, NtpGenerators.Bytes(20)),
            (1, NtpGenerators.Bytes(24)),
            (1, Gen.Choose(1, 19).SelectMany(NtpGenerators.Bytes)));

    /// <summary>What follows the 48-octet header.</summary>
    public static Gen<byte[]> ExtensionTail =>
        Gen.Frequency(
            (1, Gen.Choose(0, 100).SelectMany(NtpGenerators.Bytes)),
            (4,
                from count in Gen.Choose(0, 4)
                from fields in Gen.ArrayOf(Gen.Frequency((3, ValidField), (1, ArbitraryField)), count)
                from trailer in Trailer
                select Concat(fields, trailer)));

    /// <summary>First octets over every leap/version/mode, with client requests of versions 1 to 4 favoured.</summary>
    public static Gen<byte> FirstByte =>
        Gen.Frequency(
            (2, NtpGenerators.Byte),
            (1, from version in Gen.Choose(1, 4)
                from leap in Gen.Choose(0, 3)
                select NtpHeader.FirstByte((LeapIndicator)leap, (byte)version, NtpMode.Client)),
            (1, from leap in Gen.Choose(0, 3)
                select NtpHeader.FirstByte((LeapIndicator)leap, 1, NtpMode.Reserved)));

    public static Gen<byte[]> Packet =>
        Gen.Frequency(
            (1, Gen.Choose(0, NtpHeader.Length - 1).SelectMany(NtpGenerators.Bytes)),
            (1, from first in FirstByte
                from rest in NtpGenerators.Bytes(NtpHeader.Length - 1)
                select (byte[])[first, .. rest]),
            (3, from first in FirstByte
                from rest in NtpGenerators.Bytes(NtpHeader.Length - 1)
                from tail in ExtensionTail
                select (byte[])[first, .. rest, .. tail]));

    public static Gen<ushort> SourcePort =>
        Gen.Frequency(
            (1, Gen.Constant((ushort)123)),
            (3, Gen.Choose(0, 0xFFFF).Select(p => (ushort)p)));

    private static byte[] WithHeader(byte[] body, ushort type, int declaredLength)
    {
        byte[] field = body.Length >= 4 ? body : new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(field, type);
        BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), (ushort)declaredLength);
        return field;
    }

    private static byte[] Concat(byte[][] parts, byte[] trailer)
    {
        var all = new List<byte>();
        foreach (byte[] part in parts) all.AddRange(part);
        all.AddRange(trailer);
        return [.. all];
    }
}
