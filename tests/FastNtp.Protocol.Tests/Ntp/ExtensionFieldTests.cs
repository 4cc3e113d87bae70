namespace FastNtp.Protocol.Tests.Ntp;

public class ExtensionFieldTests
{
    /// <summary>A raw field header with any length, so invalid lengths can be written too.</summary>
    /// <summary>The reader refuses the first field (offset 0, layout malformed), and Classify agrees.</summary>
    private static void AssertRefusedAtTheFirstField(byte[] tail)
    {
        var reader = new ExtensionFieldReader(tail);

        Assert.False(reader.MoveNext());
        Assert.Equal(0, reader.Offset);
        Assert.Equal(ExtensionFieldLayout.Malformed, reader.Layout);
        Assert.Equal(ExtensionFieldLayout.Malformed, ExtensionFieldReader.Classify(tail));
    }

    private static byte[] RawField(ushort type, int declaredLength, int actualLength, byte fill = 0xA5)
    {
        byte[] field = new byte[actualLength];
        field.AsSpan().Fill(fill);
        BinaryPrimitives.WriteUInt16BigEndian(field, type);
        BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), (ushort)declaredLength);
        return field;
    }

    private static byte[] Written(ushort type, byte[] value)
    {
        byte[] field = new byte[ExtensionFieldWriter.FieldLength(value.Length)];
        Assert.Equal(field.Length, ExtensionFieldWriter.Write(field, type, value));
        return field;
    }

    private static List<(ushort Type, byte[] Value)> ReadAll(ReadOnlySpan<byte> afterHeader, out ExtensionFieldLayout layout, out int offset)
    {
        var fields = new List<(ushort, byte[])>();
        var reader = new ExtensionFieldReader(afterHeader);
        while (reader.MoveNext())
            fields.Add((reader.Current.Type, reader.Current.Value.ToArray()));
        layout = reader.Layout;
        offset = reader.Offset;
        return fields;
    }

    [Fact]
    public void EmptyTail_HasNoFields()
    {
        var reader = new ExtensionFieldReader([]);

        Assert.False(reader.MoveNext());
        Assert.Equal(ExtensionFieldLayout.None, reader.Layout);
        Assert.Equal(ExtensionFieldLayout.None, ExtensionFieldReader.Classify([]));
    }

    [Fact]
    public void ValidChain_IsWalkedFieldByField()
    {
        byte[] first = Written(0x0104, [.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
        byte[] second = Written(0x0204, [0xDE, 0xAD, 0xBE, 0xEF, 0x01]);
        byte[] tail = [.. first, .. second];

        var reader = new ExtensionFieldReader(tail);

        Assert.True(reader.MoveNext());
        Assert.Equal(0x0104, reader.Current.Type);
        Assert.Equal(36, reader.Current.Length);
        Assert.Equal(first[4..], reader.Current.Value.ToArray());
        Assert.Equal(36, reader.Offset);

        Assert.True(reader.MoveNext());
        Assert.Equal(0x0204, reader.Current.Type);
        Assert.Equal(16, reader.Current.Length);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0, 0, 0, 0, 0, 0, 0 }, reader.Current.Value.ToArray());
        Assert.Equal(52, reader.Offset);

        Assert.False(reader.MoveNext());
        Assert.Equal(ExtensionFieldLayout.Fields, reader.Layout);
        Assert.Equal(ExtensionFieldLayout.Fields, ExtensionFieldReader.Classify(tail));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    public void LengthUnder16_IsMalformed(int declared) => AssertRefusedAtTheFirstField(RawField(0x1234, declared, 32));

    // The declared length followed by a good field, so only the alignment rule can reject it.
    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    [InlineData(19)]
    [InlineData(30)]
    public void LengthNotAMultipleOfFour_IsMalformed(int declared) =>
        AssertRefusedAtTheFirstField([.. RawField(0x1234, declared, declared), .. Written(0x0001, new byte[28])]);

    [Theory]
    [InlineData(32, 28)]
    [InlineData(65532, 40)]
    [InlineData(32, 31)]
    public void LengthOverrunningThePacket_IsMalformed(int declared, int actual) => AssertRefusedAtTheFirstField(RawField(0x1234, declared, actual));

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(15)]
    public void TailShorterThanAField_IsMalformed(int length) => Assert.Equal(ExtensionFieldLayout.Malformed, ExtensionFieldReader.Classify(new byte[length]));

    [Fact]
    public void MalformedFieldAfterAGoodOne_StopsTheWalkThere()
    {
        byte[] tail = [.. Written(0x0001, new byte[28]), .. RawField(0x0002, 13, 32)];

        List<(ushort Type, byte[] Value)> fields = ReadAll(tail, out ExtensionFieldLayout layout, out int offset);

        Assert.Single(fields);
        Assert.Equal(32, offset);
        Assert.Equal(ExtensionFieldLayout.Malformed, layout);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(19)]
    public void TrailingOctetsAfterAField_AreMalformed(int trailing)
    {
        byte[] tail = [.. Written(0x0001, new byte[28]), .. new byte[trailing]];

        Assert.Equal(ExtensionFieldLayout.Malformed, ExtensionFieldReader.Classify(tail));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(24)]
    public void TwentyOrTwentyFourOctetsAlone_AreALegacyMac(int macLength)
    {
        byte[] tail = new byte[macLength];
        tail.AsSpan().Fill(0x77);

        var reader = new ExtensionFieldReader(tail);

        Assert.False(reader.MoveNext());
        Assert.Equal(0, reader.Offset);
        Assert.Equal(ExtensionFieldLayout.FieldsThenMac, reader.Layout);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(24)]
    public void MacAfterFields_IsFieldsThenMac(int macLength)
    {
        byte[] tail = [.. Written(0x0001, new byte[28]), .. Written(0x0002, new byte[40]), .. new byte[macLength]];

        List<(ushort Type, byte[] Value)> fields = ReadAll(tail, out ExtensionFieldLayout layout, out int offset);

        Assert.Equal(2, fields.Count);
        Assert.Equal(76, offset);
        Assert.Equal(ExtensionFieldLayout.FieldsThenMac, layout);
    }

    // RFC 7822 section 7.5: 20 or 24 remaining octets are a MAC, whatever they look like.
    [Theory]
    [InlineData(20, ExtensionFieldLayout.FieldsThenMac)]
    [InlineData(24, ExtensionFieldLayout.FieldsThenMac)]
    [InlineData(16, ExtensionFieldLayout.Fields)]
    [InlineData(28, ExtensionFieldLayout.Fields)]
    [InlineData(44, ExtensionFieldLayout.Fields)]
    public void WellFormedFieldAlone_IsAMacExactlyAtMacLengths(int length, ExtensionFieldLayout expected) =>
        Assert.Equal(expected, ExtensionFieldReader.Classify(RawField(0x0001, length, length)));

    [Theory]
    [InlineData(0, 16)]
    [InlineData(1, 16)]
    [InlineData(12, 16)]
    [InlineData(13, 20)]
    [InlineData(16, 20)]
    [InlineData(17, 24)]
    [InlineData(100, 104)]
    public void FieldLength_PadsToFourAndIsAtLeast16(int valueLength, int expected) => Assert.Equal(expected, ExtensionFieldWriter.FieldLength(valueLength));

    [Fact]
    public void Write_ZeroesThePaddingEvenInADirtyBuffer()
    {
        byte[] buffer = new byte[32];
        buffer.AsSpan().Fill(0xFF);

        int written = ExtensionFieldWriter.Write(buffer, 0xABCD, [1, 2, 3, 4, 5]);

        Assert.Equal(16, written);
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0x00, 0x10, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0 }, buffer[..16]);
        Assert.All(buffer[16..], b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Write_RefusesADestinationTooSmall() => Assert.Throws<ArgumentException>(() => ExtensionFieldWriter.Write(new byte[19], 1, new byte[13]));

    [Fact]
    public void ReadingAndWriting_AllocateNothing()
    {
        byte[] buffer = new byte[64];
        byte[] value = new byte[28]; // 32-octet fields: never the 20 or 24 a MAC would be
        var header = new NtpHeader { Version = 4, Mode = NtpMode.Client };
        int fields = 0;
        Walk();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++) fields += Walk();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2 * 1_000, fields);
        Assert.Equal(0, allocated);

        int Walk()
        {
            header.Write(buffer);
            NtpHeader.TryRead(buffer, out _);
            int at = ExtensionFieldWriter.Write(buffer, 1, value);
            ExtensionFieldWriter.Write(buffer.AsSpan(at), 2, value);
            var reader = new ExtensionFieldReader(buffer.AsSpan(0, 2 * at));
            int n = 0;
            while (reader.MoveNext()) n++;
            return ExtensionFieldReader.Classify(buffer.AsSpan(0, 2 * at)) == ExtensionFieldLayout.Fields ? n : -1;
        }
    }

    [Fact]
    public void Property_WrittenChainsReadBack()
    {
        // Fields of at least 28 octets never leave exactly 20 or 24 behind, so no tail is mistaken for a MAC.
        Gen<(ushort Type, byte[] Value)> field =
            from type in Gen.Choose(0, 0xFFFF)
            from length in Gen.Choose(25, 120)
            from value in NtpGenerators.Bytes(length)
            select ((ushort)type, value);
        Gen<(ushort Type, byte[] Value)[]> chain = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(field, n));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(Arb.From(chain), fields =>
        {
            byte[] buffer = new byte[fields.Sum(f => ExtensionFieldWriter.FieldLength(f.Value.Length))];
            int at = 0;
            foreach ((ushort type, byte[] value) in fields)
                at += ExtensionFieldWriter.Write(buffer.AsSpan(at), type, value);

            List<(ushort Type, byte[] Value)> back = ReadAll(buffer, out ExtensionFieldLayout layout, out int offset);
            bool same = back.Count == fields.Length;
            for (int i = 0; same && i < fields.Length; i++)
            {
                byte[] padded = back[i].Value;
                same = back[i].Type == fields[i].Type &&
                       padded.Length % 4 == 0 &&
                       padded.AsSpan(0, fields[i].Value.Length).SequenceEqual(fields[i].Value) &&
                       !padded.AsSpan(fields[i].Value.Length).ContainsAnyExcept((byte)0);
            }

            return same && at == buffer.Length && offset == buffer.Length && layout == ExtensionFieldLayout.Fields &&
                   ExtensionFieldReader.Classify(buffer) == ExtensionFieldLayout.Fields;
        }));
    }

    [Fact]
    public void Property_ReaderNeverThrowsAndStaysInBounds()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(PacketGenerators.ExtensionTail), tail =>
        {
            List<(ushort Type, byte[] Value)> fields = ReadAll(tail, out ExtensionFieldLayout layout, out int offset);
            int sum = fields.Sum(f => ExtensionField.HeaderLength + f.Value.Length);
            bool lengthsValid = fields.TrueForAll(f => f.Value.Length + 4 >= 16 && (f.Value.Length & 3) == 0);
            int remaining = tail.Length - offset;
            bool layoutConsistent = layout switch
            {
                ExtensionFieldLayout.None => tail.Length == 0,
                ExtensionFieldLayout.Fields => remaining == 0 && tail.Length > 0,
                ExtensionFieldLayout.FieldsThenMac => remaining is 20 or 24,
                _ => remaining is > 0 and not (20 or 24),
            };
            return sum == offset && offset <= tail.Length && lengthsValid && layoutConsistent &&
                   ExtensionFieldReader.Classify(tail) == layout;
        }));
    }
}
