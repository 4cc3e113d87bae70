using System.Globalization;

namespace FastNtp.Protocol.Tests.Ntp;

public class NtpTimestampTests
{
    private const long NanosPerSecond = 1_000_000_000;

    // 2036-02-07T06:28:16Z is NTP second 2^32: era 1 begins there (RFC 5905 section 6).
    private static readonly DateTime EraOneStart = new(2036, 2, 7, 6, 28, 16, DateTimeKind.Utc);

    private static DateTime Utc(string iso) =>
        DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static long UnixNanos(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks * 100;

    [Fact]
    public void FromParts_PlacesSecondsHighAndFractionLow()
    {
        var t = NtpTimestamp.FromParts(0x12345678, 0x9ABCDEF0);

        Assert.Equal(0x12345678_9ABCDEF0UL, t.Value);
        Assert.Equal(0x12345678u, t.Seconds);
        Assert.Equal(0x9ABCDEF0u, t.Fraction);
        Assert.False(t.IsZero);
        Assert.True(NtpTimestamp.Zero.IsZero);
    }

    [Fact]
    public void WriteAndRead_AreBigEndian()
    {
        var t = NtpTimestamp.FromParts(0x01020304, 0x05060708);
        byte[] bytes = new byte[NtpTimestamp.Length];

        t.Write(bytes);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, bytes);
        Assert.Equal(t, NtpTimestamp.Read(bytes));
    }

    [Fact]
    public void UnixEpoch_IsNtpSecond2208988800()
    {
        var t = NtpTimestamp.FromUnixNanoseconds(0);

        Assert.Equal(2_208_988_800u, t.Seconds);
        Assert.Equal(0u, t.Fraction);
        Assert.Equal(t, NtpTimestamp.FromDateTime(DateTime.UnixEpoch));
    }

    [Fact]
    public void HalfSecond_IsFractionTwoToThe31()
    {
        Assert.Equal(0x8000_0000u, NtpTimestamp.FromUnixNanoseconds(500_000_000).Fraction);
        Assert.Equal(0x4000_0000u, NtpTimestamp.FromUnixNanoseconds(250_000_000).Fraction);
    }

    [Fact]
    public void NegativeUnixTime_BorrowsFromTheSeconds()
    {
        // Half a second before the Unix epoch: second 2208988799 plus half a second.
        var t = NtpTimestamp.FromUnixNanoseconds(-500_000_000);

        Assert.Equal(2_208_988_799u, t.Seconds);
        Assert.Equal(0x8000_0000u, t.Fraction);
    }

    [Theory]
    [InlineData("2036-02-07T06:28:15Z", 0xFFFF_FFFFu)]
    [InlineData("2036-02-07T06:28:16Z", 0u)]
    [InlineData("2036-02-07T06:28:17Z", 1u)]
    [InlineData("1900-01-01T00:00:00Z", 0u)]
    [InlineData("1970-01-01T00:00:00Z", 2_208_988_800u)]
    // Seconds from 1900 to 2100-01-01 are 6311433600; modulo 2^32 that is 2016466304 (python datetime).
    [InlineData("2100-01-01T00:00:00Z", 2_016_466_304u)]
    public void FromDateTime_KeepsTheSecondsWithinTheEra(string iso, uint expectedSeconds)
    {
        var t = NtpTimestamp.FromDateTime(Utc(iso));

        Assert.Equal(expectedSeconds, t.Seconds);
        Assert.Equal(0u, t.Fraction);
        Assert.Equal(t, NtpTimestamp.FromUnixNanoseconds(UnixNanos(Utc(iso))));
    }

    [Theory]
    [InlineData("2036-02-07T06:28:15Z", "2036-02-07T06:28:16Z")]
    [InlineData("2036-02-07T06:28:15Z", "2024-06-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:15Z", "2060-01-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:16Z", "2036-02-07T06:28:15Z")]
    [InlineData("2036-02-07T06:28:16Z", "2024-06-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:16Z", "2060-01-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:17Z", "2036-02-07T06:28:15Z")]
    [InlineData("2036-02-07T06:28:17Z", "2000-01-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:17.123456700Z", "2030-01-01T00:00:00Z")]
    [InlineData("2036-02-07T06:28:15.999999900Z", "2040-01-01T00:00:00Z")]
    [InlineData("1900-01-01T00:00:00Z", "1950-01-01T00:00:00Z")]
    [InlineData("1900-01-01T00:00:00.000000100Z", "1900-01-01T00:00:00Z")]
    [InlineData("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z")]
    [InlineData("1969-12-31T23:59:59.999999900Z", "1970-01-01T00:00:00Z")]
    [InlineData("2100-01-01T00:00:00Z", "2090-01-01T00:00:00Z")]
    [InlineData("2100-01-01T00:00:00.000000100Z", "2120-01-01T00:00:00Z")]
    [InlineData("2024-06-01T12:34:56.789012300Z", "2024-06-01T00:00:00Z")]
    public void DateTime_RoundTripsAcrossEras(string iso, string pivotIso)
    {
        DateTime time = Utc(iso);
        DateTime pivot = Utc(pivotIso);

        var back = NtpTimestamp.FromDateTime(time).ToDateTime(pivot);

        Assert.Equal(time, back);
        Assert.Equal(DateTimeKind.Utc, back.Kind);
    }

    [Theory]
    [InlineData("2036-02-07T06:28:15Z", "2036-02-07T06:28:16Z")]
    [InlineData("2036-02-07T06:28:16Z", "2036-02-07T06:28:15Z")]
    [InlineData("2036-02-07T06:28:17Z", "2010-01-01T00:00:00Z")]
    [InlineData("1900-01-01T00:00:00Z", "1930-01-01T00:00:00Z")]
    [InlineData("1970-01-01T00:00:00Z", "2000-01-01T00:00:00Z")]
    [InlineData("2100-01-01T00:00:00Z", "2100-01-01T00:00:00Z")]
    public void UnixNanoseconds_RoundTripAcrossEras(string iso, string pivotIso)
    {
        long nanos = UnixNanos(Utc(iso)) + 123_456_789;

        long back = NtpTimestamp.FromUnixNanoseconds(nanos).ToUnixNanoseconds(UnixNanos(Utc(pivotIso)));

        Assert.Equal(nanos, back);
    }

    [Fact]
    public void ToDateTime_FloorsToTheTickOnBothSidesOf1970()
    {
        // 50 ns after the epoch is still the epoch's tick; 50 ns before it is the tick before, not the epoch.
        Assert.Equal(DateTime.UnixEpoch, NtpTimestamp.FromUnixNanoseconds(50).ToDateTime(DateTime.UnixEpoch));
        Assert.Equal(DateTime.UnixEpoch.AddTicks(-1), NtpTimestamp.FromUnixNanoseconds(-50).ToDateTime(DateTime.UnixEpoch));
        Assert.Equal(DateTime.UnixEpoch.AddTicks(-2), NtpTimestamp.FromUnixNanoseconds(-101).ToDateTime(DateTime.UnixEpoch));
    }

    [Fact]
    public void ZeroTimestamp_MapsToTheEraNearestThePivot()
    {
        // The wire value 0 is both 1900-01-01 (era 0) and 2036-02-07T06:28:16Z (era 1).
        Assert.Equal(new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc), NtpTimestamp.Zero.ToDateTime(Utc("1940-01-01T00:00:00Z")));
        Assert.Equal(EraOneStart, NtpTimestamp.Zero.ToDateTime(Utc("2024-01-01T00:00:00Z")));
    }

    [Fact]
    public void TimestampJustAfterTheRollover_IsReadAfterItNotIn1900()
    {
        var justAfter = NtpTimestamp.FromParts(1, 0);

        Assert.Equal(EraOneStart.AddSeconds(1), justAfter.ToDateTime(EraOneStart.AddSeconds(-1)));
    }

    [Fact]
    public void TimestampJustBeforeTheRollover_IsReadBeforeItFromEraOne()
    {
        var justBefore = NtpTimestamp.FromParts(uint.MaxValue, 0);

        Assert.Equal(EraOneStart.AddSeconds(-1), justBefore.ToDateTime(EraOneStart.AddSeconds(1)));
    }

    [Fact]
    public void DifferenceAcrossTheRollover_IsTheSmallPositiveInterval()
    {
        var before = NtpTimestamp.FromDateTime(Utc("2036-02-07T06:28:15.5Z"));
        var after = NtpTimestamp.FromDateTime(Utc("2036-02-07T06:28:16.5Z"));

        Assert.True(before.Value > after.Value);
        Assert.Equal(1L << 32, (after - before).Raw);
        Assert.Equal(-(1L << 32), (before - after).Raw);
        Assert.Equal(1.0, (after - before).TotalSeconds);
    }

    [Fact]
    public void CompareTo_OrdersAcrossTheRollover()
    {
        var before = NtpTimestamp.FromDateTime(Utc("2036-02-07T06:28:15Z"));
        var after = NtpTimestamp.FromDateTime(Utc("2036-02-07T06:28:17Z"));

        Assert.True(before.CompareTo(after) < 0);
        Assert.True(after.CompareTo(before) > 0);
        Assert.Equal(0, after.CompareTo(after));
    }

    [Fact]
    public void AddingADuration_CarriesIntoTheNextEra()
    {
        var last = NtpTimestamp.FromParts(uint.MaxValue, 0x8000_0000);

        NtpTimestamp next = last + NtpDuration.FromSeconds(1);

        Assert.Equal(NtpTimestamp.FromParts(0, 0x8000_0000), next);
        Assert.Equal(last, next - NtpDuration.FromSeconds(1));
        Assert.Equal(NtpTimestamp.FromParts(uint.MaxValue, 0), NtpTimestamp.Zero + NtpDuration.FromSeconds(-1));
    }

    [Fact]
    public void ToString_IsHexSecondsDotFraction() => Assert.Equal("83aa7e80.80000000", NtpTimestamp.FromUnixNanoseconds(500_000_000).ToString());

    [Fact]
    public void UnixNanoseconds_RoundTripExactlyWithinSixtyEightYearsOfThePivot()
    {
        // Pivots around the rollover and in both eras; any instant within 2^31 s of its pivot must survive.
        long[] pivots = [UnixNanos(EraOneStart), 0, UnixNanos(Utc("2100-01-01T00:00:00Z")), UnixNanos(Utc("1905-01-01T00:00:00Z"))];
        const long window = ((1L << 31) - 1) * NanosPerSecond;
        Gen<(long Pivot, long Nanos)> gen =
            from pivot in Gen.Elements(pivots)
            from hi in Gen.Choose(-1_000_000_000, 1_000_000_000)
            from lo in Gen.Choose(0, 999_999_999)
            select (pivot, pivot + (long)((Int128)window * hi / 1_000_000_000) + lo - 500_000_000);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), c =>
            NtpTimestamp.FromUnixNanoseconds(c.Nanos).ToUnixNanoseconds(c.Pivot) == c.Nanos));
    }

    [Fact]
    public void DateTimeTicks_RoundTripExactly()
    {
        long min = new DateTime(1901, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        long max = new DateTime(2170, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        Gen<DateTime> gen =
            from a in Gen.Choose(0, 1_000_000)
            from b in Gen.Choose(0, int.MaxValue)
            select new DateTime(min + (long)((Int128)(max - min) * a / 1_000_000) + b, DateTimeKind.Utc);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), time =>
            NtpTimestamp.FromDateTime(time).ToDateTime(time.AddDays(9_000)) == time));
    }

    [Fact]
    public void Difference_MatchesTheAbsoluteTimesAcrossEras()
    {
        long rollover = UnixNanos(EraOneStart);
        Gen<(long A, long B)> gen =
            from a in Gen.Choose(-2_000_000_000, 2_000_000_000)
            from b in Gen.Choose(-2_000_000_000, 2_000_000_000)
            select (rollover + a * 1000L, rollover + b * 1000L);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), Prop.ForAll(Arb.From(gen), c =>
        {
            NtpDuration d = NtpTimestamp.FromUnixNanoseconds(c.A) - NtpTimestamp.FromUnixNanoseconds(c.B);
            // Microsecond inputs lose at most a nanosecond to the 2^-32 s fraction.
            return Math.Abs(d.TotalNanoseconds - (c.A - c.B)) <= 1 &&
                   Math.Sign(NtpTimestamp.FromUnixNanoseconds(c.A).CompareTo(NtpTimestamp.FromUnixNanoseconds(c.B))) == Math.Sign(c.A - c.B);
        }));
    }
}
