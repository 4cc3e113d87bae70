namespace FastNtp.Protocol.Tests.Sync;

public class ClockFilterTests
{
    private static readonly NtpTimestamp T0 = NtpTimestamp.FromDateTime(new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc));

    private static NtpTimestamp At(double seconds) => T0 + NtpDuration.FromSeconds(seconds);

    [Fact]
    public void LowestDelaySample_IsTheEstimate()
    {
        var f = new ClockFilter();
        Assert.True(f.Add(0.010, 0.050, 0.001, At(0), 1e-6));
        Assert.True(f.Add(0.002, 0.020, 0.001, At(64), 1e-6));
        // Higher delay, newer: the estimate stays with the 20 ms sample.
        Assert.False(f.Add(0.030, 0.090, 0.001, At(128), 1e-6));
        Assert.Equal(0.002, f.Offset, 9);
        Assert.Equal(0.020, f.Delay, 9);
        Assert.Equal(At(64), f.Time);
        Assert.Equal(3, f.Count);
        // RMS of the other offsets about the estimate: sqrt((0.008² + 0.028²) / 2).
        Assert.Equal(Math.Sqrt((0.008 * 0.008 + 0.028 * 0.028) / 2), f.Jitter, 9);
    }

    [Fact]
    public void NewerSampleWithLessDelay_ReplacesTheEstimate()
    {
        var f = new ClockFilter();
        f.Add(0.010, 0.050, 0.001, At(0), 1e-6);
        Assert.True(f.Add(-0.001, 0.010, 0.001, At(64), 1e-6));
        Assert.Equal(-0.001, f.Offset, 9);
    }

    [Fact]
    public void Dispersion_WeighsStagesByHalvesAndAgesAtPhi()
    {
        var f = new ClockFilter();
        f.Add(0, 0.010, 0.001, At(0), 1e-6);
        Assert.Equal(0.0005, f.Dispersion, 9);
        f.Add(0, 0.020, 0.001, At(1000), 1e-6);
        // Delay order: the first sample (aged by 1000 s × 15 ppm) weighs 1/2, the new one 1/4.
        Assert.Equal((0.001 + 0.015) / 2 + 0.001 / 4, f.Dispersion, 9);
    }

    [Fact]
    public void EightStages_ShiftOut()
    {
        var f = new ClockFilter();
        f.Add(0.5, 0.001, 0.001, At(0), 1e-6);
        for (int i = 1; i <= 8; i++) f.Add(0.001 * i, 0.010 + 0.001 * i, 0.001, At(64 * i), 1e-6);
        // The 1 ms delay sample has left the register; the best left is the 11 ms one.
        Assert.Equal(8, f.Count);
        Assert.Equal(0.001, f.Offset, 9);
    }

    [Fact]
    public void Window_LimitsTheEstimateToRecentStages()
    {
        var f = new ClockFilter(window: 2);
        f.Add(0.001, 0.005, 0.001, At(0), 1e-6);
        f.Add(0.002, 0.030, 0.001, At(64), 1e-6);
        f.Add(0.003, 0.020, 0.001, At(128), 1e-6);
        // The 5 ms sample is the lowest delay but is third newest: outside the window of two.
        Assert.Equal(0.003, f.Offset, 9);
    }

    [Fact]
    public void Shift_MovesStoredOffsets()
    {
        var f = new ClockFilter();
        f.Add(0.004, 0.010, 0.001, At(0), 1e-6);
        f.Shift(-0.001);
        Assert.Equal(0.003, f.Offset, 9);
        f.Add(0.010, 0.050, 0.001, At(64), 1e-6);
        Assert.Equal(0.003, f.Offset, 9);
    }

    [Fact]
    public void Jitter_NeverFallsBelowPrecision()
    {
        var f = new ClockFilter();
        f.Add(0.001, 0.010, 0.001, At(0), 1e-5);
        f.Add(0.001, 0.011, 0.001, At(64), 1e-5);
        Assert.Equal(1e-5, f.Jitter, 12);
    }
}
