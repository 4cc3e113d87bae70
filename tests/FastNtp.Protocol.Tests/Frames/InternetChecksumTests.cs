namespace FastNtp.Protocol.Tests.Frames;

public class InternetChecksumTests
{
    [Fact]
    public void Ipv4HeaderExample_HasItsWellKnownChecksum()
    {
        // The worked example of the IPv4 header checksum: 192.168.0.1 -> 192.168.0.199, checksum b861.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xB861, InternetChecksum.Compute(header));
        header[10] = 0xB8;
        header[11] = 0x61;
        Assert.True(InternetChecksum.IsValid(header));
        header[19] ^= 1;
        Assert.False(InternetChecksum.IsValid(header));
    }

    [Fact]
    public void OddLastByte_IsPaddedWithZero()
    {
        Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x00]), InternetChecksum.Compute([0x12, 0x34, 0x56]));
        Assert.Equal(FrameCaptures.ReferenceChecksum([0xAB]), InternetChecksum.Compute([0xAB]));
    }

    [Fact]
    public void AllOnesAndEmptyInputs_FoldCorrectly()
    {
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
        Assert.Equal(0x0000, InternetChecksum.Compute([0xFF, 0xFF]));
        byte[] big = new byte[70_000];
        big.AsSpan().Fill(0xFF);
        Assert.Equal(FrameCaptures.ReferenceChecksum(big), InternetChecksum.Compute(big));
    }

    [Fact]
    public void Checksum_MatchesTheSixteenBitReferenceOnAnyBytes() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), data =>
            InternetChecksum.Compute(data) == FrameCaptures.ReferenceChecksum(data)));

    [Fact]
    public void IncrementalUpdateOfOneWord_EqualsRecomputing() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<int>(), ArbMap.Default.ArbFor<ushort>(), (data, at, word) =>
        {
            if (data.Length < 2) return true;
            int offset = (int)((uint)at % (uint)(data.Length / 2)) * 2;
            ushort before = InternetChecksum.Compute(data);
            ushort old = (ushort)(data[offset] << 8 | data[offset + 1]);
            data[offset] = (byte)(word >> 8);
            data[offset + 1] = (byte)word;
            return Equivalent(InternetChecksum.Update(before, old, word), InternetChecksum.Compute(data));
        }));

    [Fact]
    public void IncrementalUpdateOfASpan_EqualsRecomputing() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<ulong>(), (data, value) =>
        {
            if (data.Length < 8) return true;
            int offset = (data.Length - 8) & ~1;
            ushort before = InternetChecksum.Compute(data);
            byte[] old = data[offset..(offset + 8)];
            byte[] replacement = BitConverter.GetBytes(value);
            replacement.CopyTo(data, offset);
            return Equivalent(InternetChecksum.Update(before, old, replacement), InternetChecksum.Compute(data));
        }));

    [Fact]
    public void IncrementalUpdate_RefusesUnevenSpans() =>
        Assert.Throws<ArgumentException>(() => InternetChecksum.Update(0, [1, 2, 3], [1, 2, 3]));

    /// <summary>0x0000 and 0xFFFF are the two ones'-complement zeros; RFC 1624 allows either after an update.</summary>
    private static bool Equivalent(ushort a, ushort b) => a == b || (a is 0 or 0xFFFF && b is 0 or 0xFFFF);
}
