namespace FastNtp.Protocol.Tests.Ntp;

public class NtpHeaderTests
{
    // A reply as RFC 5905 figure 8 lays it out, every field a distinct value so a swapped offset shows.
    private static readonly byte[] KnownPacket =
    [
        0b11_100_100, // leap 3, version 4, mode 4
        2, // stratum
        0xFA, // poll -6
        0xEC, // precision -20
        0x00, 0x01, 0x80, 0x00, // root delay 1.5 s
        0x00, 0x00, 0x40, 0x00, // root dispersion 0.25 s
        0xC0, 0x00, 0x02, 0x01, // reference id 192.0.2.1
        0x11, 0x11, 0x11, 0x11, 0x12, 0x12, 0x12, 0x12, // reference time
        0x21, 0x21, 0x21, 0x21, 0x22, 0x22, 0x22, 0x22, // origin time
        0x31, 0x31, 0x31, 0x31, 0x32, 0x32, 0x32, 0x32, // receive time
        0x41, 0x41, 0x41, 0x41, 0x42, 0x42, 0x42, 0x42, // transmit time
    ];

    private static NtpHeader KnownHeader => new()
    {
        Leap = LeapIndicator.Unsynchronized,
        Version = 4,
        Mode = NtpMode.Server,
        Stratum = 2,
        Poll = -6,
        Precision = -20,
        RootDelay = 0x0001_8000,
        RootDispersion = 0x0000_4000,
        ReferenceId = new ReferenceId(0xC000_0201),
        ReferenceTime = NtpTimestamp.FromParts(0x1111_1111, 0x1212_1212),
        OriginTime = NtpTimestamp.FromParts(0x2121_2121, 0x2222_2222),
        ReceiveTime = NtpTimestamp.FromParts(0x3131_3131, 0x3232_3232),
        TransmitTime = NtpTimestamp.FromParts(0x4141_4141, 0x4242_4242),
    };

    private static byte[] Encode(NtpHeader header)
    {
        byte[] bytes = new byte[NtpHeader.Length];
        header.Write(bytes);
        return bytes;
    }

    private static NtpHeader Decode(byte[] bytes)
    {
        Assert.True(NtpHeader.TryRead(bytes, out NtpHeader header));
        return header;
    }

    /// <summary>Writes a header with one field set: the field's octets are <paramref name="wire"/> at <paramref name="offset"/>, and it reads back whole.</summary>
    private static void AssertFieldRoundTrips(NtpHeader header, int offset, byte[] wire)
    {
        byte[] bytes = Encode(header);

        Assert.Equal(wire, bytes[offset..(offset + wire.Length)]);
        Assert.Equal(header, Decode(bytes));
    }

    private static byte[] BigEndian(uint value)
    {
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    [Fact]
    public void TryRead_DecodesEveryFieldAtItsOffset()
    {
        NtpHeader h = Decode(KnownPacket);

        Assert.Equal(LeapIndicator.Unsynchronized, h.Leap);
        Assert.Equal(4, h.Version);
        Assert.Equal(NtpMode.Server, h.Mode);
        Assert.Equal(2, h.Stratum);
        Assert.Equal(-6, h.Poll);
        Assert.Equal(-20, h.Precision);
        Assert.Equal(0x0001_8000u, h.RootDelay);
        Assert.Equal(1.5, NtpDuration.FromShortFormat(h.RootDelay).TotalSeconds);
        Assert.Equal(0x0000_4000u, h.RootDispersion);
        Assert.Equal(0.25, NtpDuration.FromShortFormat(h.RootDispersion).TotalSeconds);
        Assert.Equal("192.0.2.1", h.ReferenceId.ToString(h.Stratum));
        Assert.Equal(NtpTimestamp.FromParts(0x1111_1111, 0x1212_1212), h.ReferenceTime);
        Assert.Equal(NtpTimestamp.FromParts(0x2121_2121, 0x2222_2222), h.OriginTime);
        Assert.Equal(NtpTimestamp.FromParts(0x3131_3131, 0x3232_3232), h.ReceiveTime);
        Assert.Equal(NtpTimestamp.FromParts(0x4141_4141, 0x4242_4242), h.TransmitTime);
        Assert.Equal(KnownHeader, h);
    }

    [Fact]
    public void Write_EncodesEveryFieldAtItsOffset() => Assert.Equal(KnownPacket, Encode(KnownHeader));

    [Theory]
    [InlineData(LeapIndicator.NoWarning, 0x00)]
    [InlineData(LeapIndicator.InsertSecond, 0x40)]
    [InlineData(LeapIndicator.DeleteSecond, 0x80)]
    [InlineData(LeapIndicator.Unsynchronized, 0xC0)]
    public void Leap_RoundTripsInTheTopTwoBits(LeapIndicator leap, byte expectedFirstByte)
    {
        var header = new NtpHeader { Leap = leap };

        byte[] bytes = Encode(header);

        Assert.Equal(expectedFirstByte, bytes[0]);
        Assert.Equal(header, Decode(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Version_RoundTripsInBitsThreeToFive(byte version)
    {
        var header = new NtpHeader { Version = version };

        byte[] bytes = Encode(header);

        Assert.Equal(version << 3, bytes[0]);
        Assert.Equal(version, Decode(bytes).Version);
    }

    [Theory]
    [InlineData(NtpMode.Reserved)]
    [InlineData(NtpMode.SymmetricActive)]
    [InlineData(NtpMode.SymmetricPassive)]
    [InlineData(NtpMode.Client)]
    [InlineData(NtpMode.Server)]
    [InlineData(NtpMode.Broadcast)]
    [InlineData(NtpMode.Control)]
    [InlineData(NtpMode.Private)]
    public void Mode_RoundTripsInTheLowThreeBits(NtpMode mode)
    {
        var header = new NtpHeader { Mode = mode };

        byte[] bytes = Encode(header);

        Assert.Equal((byte)mode, bytes[0]);
        Assert.Equal(mode, Decode(bytes).Mode);
    }

    [Fact]
    public void FirstByte_PacksLeapVersionAndMode()
    {
        Assert.Equal(0x23, NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client));
        Assert.Equal(0xE4, NtpHeader.FirstByte(LeapIndicator.Unsynchronized, 4, NtpMode.Server));
        Assert.Equal(0x0B, NtpHeader.FirstByte(LeapIndicator.NoWarning, 1, NtpMode.Client));
        // Out-of-range versions keep to their three bits instead of spilling into the leap bits.
        Assert.Equal(0x03, NtpHeader.FirstByte(LeapIndicator.NoWarning, 8, NtpMode.Client));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(255)]
    public void Stratum_RoundTrips(byte stratum) => AssertFieldRoundTrips(new NtpHeader { Stratum = stratum }, 1, [stratum]);

    [Theory]
    [InlineData(-128, 0x80)]
    [InlineData(-6, 0xFA)]
    [InlineData(0, 0x00)]
    [InlineData(17, 0x11)]
    [InlineData(127, 0x7F)]
    public void Poll_RoundTripsAsSignedByte(sbyte poll, byte wire) => AssertFieldRoundTrips(new NtpHeader { Poll = poll }, 2, [wire]);

    [Theory]
    [InlineData(-128, 0x80)]
    [InlineData(-20, 0xEC)]
    [InlineData(0, 0x00)]
    [InlineData(127, 0x7F)]
    public void Precision_RoundTripsAsSignedByte(sbyte precision, byte wire) =>
        AssertFieldRoundTrips(new NtpHeader { Precision = precision }, 3, [wire]);

    [Theory]
    [InlineData(0u)]
    [InlineData(0x0001_8000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void RootDelay_RoundTripsAsShortFormatAtOffset4(uint value) =>
        AssertFieldRoundTrips(new NtpHeader { RootDelay = value }, 4, BigEndian(value));

    [Theory]
    [InlineData(0u)]
    [InlineData(0x0000_4000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void RootDispersion_RoundTripsAsShortFormatAtOffset8(uint value) =>
        AssertFieldRoundTrips(new NtpHeader { RootDispersion = value }, 8, BigEndian(value));

    [Fact]
    public void ReferenceId_RoundTripsAtOffset12() => AssertFieldRoundTrips(new NtpHeader { ReferenceId = ReferenceId.Rate }, 12, "RATE"u8.ToArray());

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    [InlineData(40)]
    public void EachTimestamp_RoundTripsAtItsOffset(int offset)
    {
        var value = NtpTimestamp.FromParts(0xFEDC_BA98, 0x7654_3210);
        NtpHeader header = offset switch
        {
            16 => new NtpHeader { ReferenceTime = value },
            24 => new NtpHeader { OriginTime = value },
            32 => new NtpHeader { ReceiveTime = value },
            _ => new NtpHeader { TransmitTime = value },
        };

        byte[] bytes = Encode(header);

        Assert.Equal(value, NtpTimestamp.Read(bytes.AsSpan(offset)));
        Assert.Equal(header, Decode(bytes));
        // Nothing else was written.
        Assert.Equal(NtpHeader.Length - 8, bytes.Count(b => b == 0));
    }

    [Fact]
    public void TransmitAndOriginAccessors_UseTheHeaderOffsets()
    {
        byte[] bytes = (byte[])KnownPacket.Clone();

        Assert.Equal(KnownHeader.TransmitTime, NtpHeader.ReadTransmitTime(bytes));
        Assert.Equal(KnownHeader.OriginTime, NtpHeader.ReadOriginTime(bytes));

        var stamped = NtpTimestamp.FromParts(0xAAAA_AAAA, 0xBBBB_BBBB);
        NtpHeader.WriteTransmitTime(bytes, stamped);

        NtpHeader decoded = Decode(bytes);
        Assert.Equal(stamped, decoded.TransmitTime);
        Assert.Equal(KnownHeader with { TransmitTime = stamped }, decoded);
    }

    [Fact]
    public void TryRead_RefusesEveryLengthUnder48()
    {
        for (int length = 0; length < NtpHeader.Length; length++)
        {
            Assert.False(NtpHeader.TryRead(KnownPacket.AsSpan(0, length), out NtpHeader header));
            Assert.Equal(default, header);
        }
    }

    [Fact]
    public void TryRead_IgnoresOctetsAfterTheHeader()
    {
        byte[] longer = [.. KnownPacket, 0xFF, 0xFF, 0xFF, 0xFF];

        Assert.Equal(KnownHeader, Decode(longer));
    }

    [Fact]
    public void Write_RefusesADestinationUnder48() => Assert.Throws<ArgumentException>(() => KnownHeader.Write(new byte[NtpHeader.Length - 1]));

    [Fact]
    public void Write_LeavesOctetsAfterTheHeaderAlone()
    {
        byte[] buffer = Enumerable.Repeat((byte)0x5A, 60).ToArray();

        KnownHeader.Write(buffer);

        Assert.Equal(KnownPacket, buffer[..48]);
        Assert.All(buffer[48..], b => Assert.Equal(0x5A, b));
    }

    [Fact]
    public void Equality_SeesEveryField()
    {
        NtpHeader h = KnownHeader;
        NtpHeader[] variants =
        [
            h with { Leap = LeapIndicator.NoWarning },
            h with { Version = 3 },
            h with { Mode = NtpMode.Client },
            h with { Stratum = 3 },
            h with { Poll = 6 },
            h with { Precision = -19 },
            h with { RootDelay = 1 },
            h with { RootDispersion = 1 },
            h with { ReferenceId = ReferenceId.Local },
            h with { ReferenceTime = NtpTimestamp.Zero },
            h with { OriginTime = NtpTimestamp.Zero },
            h with { ReceiveTime = NtpTimestamp.Zero },
            h with { TransmitTime = NtpTimestamp.Zero },
        ];

        foreach (NtpHeader v in variants)
        {
            Assert.NotEqual(h, v);
            Assert.True(h != v);
            Assert.False(h.Equals((object)v));
        }

        NtpHeader copy = KnownHeader;
        Assert.True(h == copy);
        Assert.True(h.Equals((object)copy));
        Assert.Equal(h.GetHashCode(), copy.GetHashCode());
    }

    [Fact]
    public void Property_ReadOfWriteIsTheSameHeader()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(NtpGenerators.Header), h =>
        {
            byte[] bytes = new byte[NtpHeader.Length];
            h.Write(bytes);
            return NtpHeader.TryRead(bytes, out NtpHeader back) && back == h && back.GetHashCode() == h.GetHashCode();
        }));
    }

    [Fact]
    public void Property_WriteOfReadIsTheSameBytes()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(NtpGenerators.Bytes(NtpHeader.Length)), bytes =>
        {
            byte[] again = new byte[NtpHeader.Length];
            return NtpHeader.TryRead(bytes, out NtpHeader h) && TryWrite(h, again) && again.AsSpan().SequenceEqual(bytes);
        }));
    }

    [Fact]
    public void Property_TryReadNeverThrowsAndAcceptsExactlyTheLongEnoughInputs()
    {
        Gen<byte[]> gen = Gen.Choose(0, 120).SelectMany(NtpGenerators.Bytes);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), bytes =>
            NtpHeader.TryRead(bytes, out _) == (bytes.Length >= NtpHeader.Length)));
    }

    private static bool TryWrite(NtpHeader h, byte[] destination)
    {
        h.Write(destination);
        return true;
    }
}
