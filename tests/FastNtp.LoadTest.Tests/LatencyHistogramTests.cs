using FsCheck;
using FsCheck.Fluent;

namespace FastNtp.LoadTest.Tests;

public class LatencyHistogramTests
{
    private const double RelativeError = 1.0 / (1 << LatencyHistogram.PrecisionBits);

    [Fact]
    public void Empty_ReportsZero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.ValueAtQuantile(0.5));
        Assert.Equal(0, h.Count);
    }

    [Fact]
    public void SmallValues_AreExact()
    {
        var h = new LatencyHistogram();
        for (int v = 1; v <= 50; v++) h.Record(v);
        Assert.Equal(25, h.ValueAtQuantile(0.5));
        Assert.Equal(50, h.ValueAtQuantile(0.99));
        Assert.Equal(1, h.ValueAtQuantile(0));
    }

    [Fact]
    public void EveryValue_FallsInsideItsBucketWithBoundedWidth() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue).SelectMany(hi => Gen.Choose(0, 62).Select(shift => ((long)hi << 32 >> shift) & LatencyHistogram.MaxValue))), v =>
        {
            int i = LatencyHistogram.BucketIndex(v);
            long low = LatencyHistogram.BucketLowerBound(i);
            long width = LatencyHistogram.BucketWidth(i);
            return i >= 0 && i < LatencyHistogram.BucketCount && low <= v && v < low + width && (width == 1 || width <= low * RelativeError);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Buckets_TileTheRangeWithoutGaps()
    {
        for (int i = 1; i < LatencyHistogram.BucketCount; i++)
            Assert.Equal(LatencyHistogram.BucketLowerBound(i - 1) + LatencyHistogram.BucketWidth(i - 1), LatencyHistogram.BucketLowerBound(i));
        Assert.Equal(LatencyHistogram.MaxValue + 1,
            LatencyHistogram.BucketLowerBound(LatencyHistogram.BucketCount - 1) + LatencyHistogram.BucketWidth(LatencyHistogram.BucketCount - 1));
    }

    [Fact]
    public void Quantiles_MatchNearestRankOfTheSortedValues() =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(Gen.Choose(0, 50_000_000)).Where(a => a.Length > 0)), values =>
        {
            var h = new LatencyHistogram();
            foreach (int v in values) h.Record(v);
            int[] sorted = values.Order().ToArray();
            foreach (double q in new[] { 0.5, 0.9, 0.99, 0.999, 1.0 })
            {
                long exact = sorted[Math.Max(1, (int)Math.Ceiling(q * sorted.Length)) - 1];
                long got = h.ValueAtQuantile(q);
                if (Math.Abs(got - exact) > Math.Max(1, exact * RelativeError)) return false;
            }

            return h.Min == sorted[0] && h.Max == sorted[^1] && h.Count == sorted.Length;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Uniform_PercentilesAreWithinPrecision()
    {
        var h = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++) h.Record(v * 1000);
        Assert.InRange(h.ValueAtQuantile(0.5), 50_000_000 * (1 - RelativeError), 50_000_000 * (1 + RelativeError));
        Assert.InRange(h.ValueAtQuantile(0.99), 99_000_000 * (1 - RelativeError), 99_000_000 * (1 + RelativeError));
        Assert.InRange(h.ValueAtQuantile(0.999), 99_900_000 * (1 - RelativeError), 99_900_000 * (1 + RelativeError));
        Assert.Equal(50_000_500, h.Mean, 1.0);
    }

    [Fact]
    public void Add_EqualsRecordingEverythingInOne()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var all = new LatencyHistogram();
        for (int v = 0; v < 10_000; v++)
        {
            long value = (long)v * v;
            (v % 3 == 0 ? a : b).Record(value);
            all.Record(value);
        }

        a.Add(b);
        Assert.Equal(all.Count, a.Count);
        Assert.Equal(all.Min, a.Min);
        Assert.Equal(all.Max, a.Max);
        foreach (double q in new[] { 0.1, 0.5, 0.99, 0.999 }) Assert.Equal(all.ValueAtQuantile(q), a.ValueAtQuantile(q));
    }

    [Fact]
    public void OutOfRangeValues_AreClamped()
    {
        var h = new LatencyHistogram();
        h.Record(-10);
        h.Record(long.MaxValue);
        Assert.Equal(0, h.Min);
        Assert.Equal(LatencyHistogram.MaxValue, h.Max);
        Assert.Equal(LatencyHistogram.MaxValue, h.ValueAtQuantile(1));
    }

    [Fact]
    public void Clear_Empties()
    {
        var h = new LatencyHistogram();
        h.Record(5);
        h.Clear();
        Assert.Equal(0, h.Count);
        Assert.Equal(0, h.ValueAtQuantile(0.5));
    }
}
