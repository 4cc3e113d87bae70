using FastNtp.Interop.Clock;

namespace FastNtp.Interop.Tests.Clock;

public class TimexTests
{
    [Fact]
    public void Layout_MatchesTheLinux64BitKernel()
    {
        Assert.Equal(208, Unsafe.SizeOf<Timex>());
        Assert.Equal(208, Marshal.SizeOf<Timex>());
        (string Field, int Offset)[] expected =
        [
            ("Modes", 0), ("Offset", 8), ("Freq", 16), ("MaxError", 24), ("EstError", 32), ("Status", 40),
            ("Constant", 48), ("Precision", 56), ("Tolerance", 64), ("TimeSeconds", 72), ("TimeFraction", 80),
            ("Tick", 88), ("PpsFreq", 96), ("Jitter", 104), ("Shift", 112), ("Stabil", 120), ("JitCnt", 128),
            ("CalCnt", 136), ("ErrCnt", 144), ("StbCnt", 152), ("Tai", 160),
        ];
        foreach ((string field, int offset) in expected)
            Assert.Equal(offset, (int)Marshal.OffsetOf<Timex>(field));
    }

    [Fact]
    public void ReadOnlyAdjtimex_ReportsAPlausibleKernelState()
    {
        Assert.True(KernelClock.IsSupported);
        // Modes 0 reads; nothing on the machine's clock changes.
        KernelClockState a = KernelClock.Read();
        var raw = default(Timex);
        int viaClockAdjtime = Interop.Libc.ClockAdjtime(TimexConstants.ClockRealtime, ref raw);

        Assert.InRange(a.State, 0, 5);
        Assert.Equal(a.State, viaClockAdjtime);
        Assert.InRange(a.FrequencyPpm, -512, 512);
        Assert.True(a.MaxErrorSeconds >= 0);
        Assert.True(raw.Tick > 0, "the kernel reports a tick length");
        Assert.Equal(0u, raw.Modes);
    }

    [Theory]
    [InlineData(1, TimexConstants.StaIns)]
    [InlineData(-1, TimexConstants.StaDel)]
    [InlineData(0, 0)]
    public void LeapRequest_SetsOneLeapBitAndTheTaiOffset(int direction, int leapBit)
    {
        // The other leap bit set before, and STA_PLL, are cleared; the unrelated bits are kept.
        int before = TimexConstants.StaUnsync | TimexConstants.StaNano | TimexConstants.StaPll | TimexConstants.StaIns | TimexConstants.StaDel;

        Timex tx = KernelClock.LeapRequest(before, direction, 37);

        Assert.Equal(TimexConstants.StaUnsync | TimexConstants.StaNano | leapBit, tx.Status);
        Assert.Equal(0x0010u | 0x0080u, tx.Modes);
        Assert.Equal(37, tx.Constant);
    }

    [Theory]
    [InlineData(0.0, 0L)]
    [InlineData(1.0, 65536L)]
    [InlineData(-50.5, -3309568L)]
    [InlineData(900.0, 500L * 65536)]
    public void Frequency_IsScaledBy65536AndClamped(double ppm, long scaled) =>
        Assert.Equal(scaled, KernelClock.ToScaledPpm(ppm));

    [Fact]
    public void State_DecodesStatusBitsAndUnits()
    {
        var tx = new Timex { Status = TimexConstants.StaUnsync | TimexConstants.StaIns | TimexConstants.StaNano, Offset = 1500, Freq = -65536 * 3, MaxError = 250_000 };
        KernelClockState s = KernelClock.ToState(0, tx);
        Assert.True(s.IsUnsynchronized);
        Assert.True(s.InsertLeap);
        Assert.False(s.DeleteLeap);
        Assert.Equal(1.5e-6, s.OffsetSeconds, 12);
        Assert.Equal(-3.0, s.FrequencyPpm);
        Assert.Equal(0.25, s.MaxErrorSeconds, 9);
        Assert.True(KernelClock.ToState(TimexConstants.TimeError, default).IsUnsynchronized);
        Assert.False(KernelClock.ToState(0, default).IsUnsynchronized);
    }
}
