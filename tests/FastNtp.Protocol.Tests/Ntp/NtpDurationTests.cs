namespace FastNtp.Protocol.Tests.Ntp;

public class NtpDurationTests
{
    private const long OneSecondRaw = 1L << 32;
    private static readonly NtpDuration MinValue = new(long.MinValue);

    private static Gen<long> AnyLong =>
        from hi in Gen.Choose(int.MinValue, int.MaxValue)
        from lo in Gen.Choose(int.MinValue, int.MaxValue)
        from edge in Gen.Frequency(
            (8, Gen.Constant(0L)),
            (1, Gen.Elements(long.MaxValue, long.MinValue, long.MaxValue - 1, long.MinValue + 1, 1L, -1L)))
        select edge != 0 ? edge : ((long)hi << 32) | (uint)lo;

    [Theory]
    [InlineData(0x0001_0000u, OneSecondRaw)]
    [InlineData(0x0000_8000u, OneSecondRaw / 2)]
    [InlineData(0x0000_0001u, 1L << 16)]
    [InlineData(0xFFFF_FFFFu, 0xFFFF_FFFFL << 16)]
    [InlineData(0u, 0L)]
    public void FromShortFormat_IsSixteenDotSixteenSeconds(uint shortFormat, long expectedRaw) => Assert.Equal(expectedRaw, NtpDuration.FromShortFormat(shortFormat).Raw);

    [Fact]
    public void ShortFormat_RoundTripsEveryValue()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(
            Arb.From(Gen.Choose(int.MinValue, int.MaxValue).Select(i => unchecked((uint)i))),
            s => NtpDuration.FromShortFormat(s).ToShortFormat() == s));
    }

    [Fact]
    public void ToShortFormat_TruncatesBelowTheSixteenBitFraction()
    {
        Assert.Equal(0x0001_8000u, NtpDuration.FromSeconds(1.5).ToShortFormat());
        Assert.Equal(0u, new NtpDuration(0xFFFF).ToShortFormat());
        Assert.Equal(1u, new NtpDuration(0x1_0000).ToShortFormat());
    }

    [Fact]
    public void ToShortFormat_ClampsNegativeToZero()
    {
        Assert.Equal(0u, NtpDuration.FromSeconds(-1).ToShortFormat());
        Assert.Equal(0u, MinValue.ToShortFormat());
    }

    [Fact]
    public void ToShortFormat_SaturatesAt65536Seconds()
    {
        Assert.Equal(0xFFFFu, NtpDuration.FromSeconds(65_535.99999).ToShortFormat() >> 16);
        Assert.Equal(uint.MaxValue, NtpDuration.FromSeconds(65_536).ToShortFormat());
        Assert.Equal(uint.MaxValue, NtpDuration.FromSeconds(1e6).ToShortFormat());
        Assert.Equal(uint.MaxValue, NtpDuration.MaxValue.ToShortFormat());
    }

    [Theory]
    [InlineData(1.0, OneSecondRaw)]
    [InlineData(-2.5, -5 * OneSecondRaw / 2)]
    [InlineData(0.25, OneSecondRaw / 4)]
    [InlineData(0.0, 0L)]
    public void FromSeconds_ConvertsExactBinaryFractions(double seconds, long expectedRaw)
    {
        var d = NtpDuration.FromSeconds(seconds);

        Assert.Equal(expectedRaw, d.Raw);
        Assert.Equal(seconds, d.TotalSeconds);
    }

    [Fact]
    public void FromSeconds_SaturatesAndMapsNaNToZero()
    {
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.FromSeconds(double.PositiveInfinity));
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.FromSeconds(1e30));
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.FromSeconds(2_147_483_648.0));
        Assert.Equal(MinValue, NtpDuration.FromSeconds(double.NegativeInfinity));
        Assert.Equal(MinValue, NtpDuration.FromSeconds(-1e30));
        Assert.Equal(NtpDuration.Zero, NtpDuration.FromSeconds(double.NaN));
    }

    [Fact]
    public void Milliseconds_Convert()
    {
        var d = NtpDuration.FromMilliseconds(1500);

        Assert.Equal(3 * OneSecondRaw / 2, d.Raw);
        Assert.Equal(1500.0, d.TotalMilliseconds);
    }

    [Theory]
    [InlineData(1_000_000_000L, OneSecondRaw)]
    [InlineData(-1_000_000_000L, -OneSecondRaw)]
    [InlineData(500_000_000L, OneSecondRaw / 2)]
    [InlineData(0L, 0L)]
    public void FromNanoseconds_ConvertsWholeValues(long nanos, long expectedRaw)
    {
        Assert.Equal(expectedRaw, NtpDuration.FromNanoseconds(nanos).Raw);
        Assert.Equal(nanos, NtpDuration.FromNanoseconds(nanos).TotalNanoseconds);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(99L)]
    [InlineData(-1L)]
    [InlineData(123_456_789L)]
    [InlineData(-987_654_321_123L)]
    public void Nanoseconds_RoundTrip(long nanos) => Assert.Equal(nanos, NtpDuration.FromNanoseconds(nanos).TotalNanoseconds);

    [Fact]
    public void Nanoseconds_RoundTripAcrossTheRepresentableRange()
    {
        // 2^31 s is the largest duration; stay a second inside it.
        const long limit = ((1L << 31) - 1) * 1_000_000_000;
        Gen<long> gen =
            from a in Gen.Choose(-1_000_000_000, 1_000_000_000)
            from b in Gen.Choose(-1_000_000_000, 1_000_000_000)
            select (long)((Int128)limit * a / 1_000_000_000) + b;

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), n =>
            NtpDuration.FromNanoseconds(n).TotalNanoseconds == n));
    }

    [Fact]
    public void FromNanoseconds_SaturatesBeyondTheRange()
    {
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.FromNanoseconds(long.MaxValue));
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.FromNanoseconds(3_000_000_000L * 1_000_000_000));
        Assert.Equal(MinValue, NtpDuration.FromNanoseconds(long.MinValue));
        Assert.Equal(MinValue, NtpDuration.FromNanoseconds(-3_000_000_000L * 1_000_000_000));
    }

    [Fact]
    public void Addition_Saturates()
    {
        var one = new NtpDuration(1);

        Assert.Equal(NtpDuration.MaxValue, NtpDuration.MaxValue + one);
        Assert.Equal(MinValue, MinValue + new NtpDuration(-1));
        Assert.Equal(new NtpDuration(-1), NtpDuration.MaxValue + MinValue);
        Assert.Equal(new NtpDuration(3), one + new NtpDuration(2));
    }

    [Fact]
    public void Subtraction_Saturates()
    {
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.Zero - MinValue);
        Assert.Equal(NtpDuration.MaxValue, NtpDuration.MaxValue - new NtpDuration(-1));
        Assert.Equal(MinValue, MinValue - new NtpDuration(1));
        Assert.Equal(new NtpDuration(-1), MinValue - MinValue + new NtpDuration(-1));
        Assert.Equal(new NtpDuration(long.MaxValue - 1), new NtpDuration(-2) - MinValue);
    }

    [Fact]
    public void AdditionAndSubtraction_EqualTheClampedExactResult()
    {
        Gen<(long A, long B)> gen = Gen.Zip(AnyLong, AnyLong);

        static long Clamp(Int128 v) => v > long.MaxValue ? long.MaxValue : v < long.MinValue ? long.MinValue : (long)v;

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), c =>
            (new NtpDuration(c.A) + new NtpDuration(c.B)).Raw == Clamp((Int128)c.A + c.B) &&
            (new NtpDuration(c.A) - new NtpDuration(c.B)).Raw == Clamp((Int128)c.A - c.B) &&
            (-new NtpDuration(c.A)).Raw == Clamp(-(Int128)c.A) &&
            new NtpDuration(c.A).Abs().Raw == Clamp(Int128.Abs(c.A))));
    }

    [Fact]
    public void NegationAndAbs_SaturateAtMinValue()
    {
        Assert.Equal(NtpDuration.MaxValue, -MinValue);
        Assert.Equal(NtpDuration.MaxValue, MinValue.Abs());
        Assert.Equal(new NtpDuration(5), new NtpDuration(-5).Abs());
        Assert.Equal(new NtpDuration(-5), -new NtpDuration(5));
    }

    [Fact]
    public void Division_TruncatesAndSaturates()
    {
        Assert.Equal(new NtpDuration(3), new NtpDuration(7) / 2);
        Assert.Equal(new NtpDuration(-3), new NtpDuration(-7) / 2);
        Assert.Equal(NtpDuration.MaxValue, MinValue / -1);
    }

    [Fact]
    public void ComparisonsAndMinMax_OrderDurationsBySignedValue()
    {
        var small = NtpDuration.FromSeconds(-1);
        var large = NtpDuration.FromSeconds(2);

        Assert.True(small < large);
        Assert.True(large > small);
        Assert.True(small <= NtpDuration.FromSeconds(-1) && small >= NtpDuration.FromSeconds(-1));
        Assert.False(large <= small);
        Assert.False(small >= large);
        Assert.True(small.CompareTo(large) < 0);
        Assert.Equal(0, large.CompareTo(NtpDuration.FromSeconds(2)));
        Assert.Equal(large, NtpDuration.Max(small, large));
        Assert.Equal(small, NtpDuration.Min(small, large));
    }

    [Fact]
    public void ToString_IsSeconds()
    {
        Assert.Equal("1.500000 s", NtpDuration.FromSeconds(1.5).ToString());
        Assert.Equal("-0.250000 s", NtpDuration.FromSeconds(-0.25).ToString());
        Assert.Equal("0.000000001 s", new NtpDuration(5).ToString());
    }
}
