using System.Numerics;

namespace FastNtp.LoadTest;

/// <summary>
/// Fixed-memory latency histogram with log-linear buckets (the HdrHistogram layout): values below
/// 2^<see cref="PrecisionBits"/> are exact, above that every power-of-two range is cut into
/// 2^<see cref="PrecisionBits"/> equal buckets, so any recorded value is known within 1/64 (1.6 %).
/// Recording is one index computation and one increment: no allocation on the receive path.
/// </summary>
internal sealed class LatencyHistogram
{
    public const int PrecisionBits = 6;
    /// <summary>Values are clamped to 2^MaxBits − 1 nanoseconds (about 68 s), far beyond any step's drain.</summary>
    public const int MaxBits = 36;

    private const int SubBuckets = 1 << PrecisionBits;
    public const long MaxValue = (1L << MaxBits) - 1;
    public const int BucketCount = SubBuckets + (MaxBits - PrecisionBits) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }
    public long Min { get; private set; } = long.MaxValue;
    public long Max { get; private set; }
    private double _sum;

    public double Mean => Count == 0 ? 0 : _sum / Count;

    public static int BucketIndex(long value)
    {
        if (value < SubBuckets) return value < 0 ? 0 : (int)value;
        if (value > MaxValue) value = MaxValue;
        int msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = msb - PrecisionBits;
        int sub = (int)(value >> shift) - SubBuckets;
        return SubBuckets + shift * SubBuckets + sub;
    }

    /// <summary>The smallest value that falls into <paramref name="index"/>.</summary>
    public static long BucketLowerBound(int index)
    {
        if (index < SubBuckets) return index;
        int shift = (index - SubBuckets) / SubBuckets;
        int sub = (index - SubBuckets) % SubBuckets;
        return (long)(SubBuckets + sub) << shift;
    }

    public static long BucketWidth(int index) => index < SubBuckets ? 1 : 1L << ((index - SubBuckets) / SubBuckets);

    public void Record(long value)
    {
        if (value < 0) value = 0;
        if (value > MaxValue) value = MaxValue;
        _counts[BucketIndex(value)]++;
        Count++;
        _sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        _sum += other._sum;
        if (other.Count > 0)
        {
            Min = Math.Min(Min, other.Min);
            Max = Math.Max(Max, other.Max);
        }
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
        _sum = 0;
        Min = long.MaxValue;
        Max = 0;
    }

    /// <summary>
    /// The value at quantile <paramref name="q"/> (0–1) by the nearest-rank rule: the smallest recorded
    /// value with at least ⌈q·n⌉ values at or below it, reported as the middle of its bucket and kept
    /// within the exact minimum and maximum (and exactly those for the first and last rank). 0 when empty.
    /// </summary>
    public long ValueAtQuantile(double q)
    {
        if (Count == 0) return 0;
        if (double.IsNaN(q)) throw new ArgumentOutOfRangeException(nameof(q));
        q = Math.Clamp(q, 0, 1);
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        // The extremes are known exactly; only the values between them are bucketed.
        if (rank >= Count) return Max;
        if (rank == 1) return Min;
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                long middle = BucketLowerBound(i) + (BucketWidth(i) - 1) / 2;
                return Math.Clamp(middle, Min, Max);
            }
        }

        return Max;
    }
}
