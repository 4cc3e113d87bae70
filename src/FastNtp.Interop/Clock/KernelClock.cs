using System.ComponentModel;
using System.Runtime.InteropServices;

namespace FastNtp.Interop.Clock;

/// <summary>The kernel's NTP state for CLOCK_REALTIME, as adjtimex reports it.</summary>
/// <param name="State">The return value: 0 TIME_OK, 1 INS, 2 DEL, 3 OOP, 4 WAIT, 5 TIME_ERROR (unsynchronized).</param>
/// <param name="FrequencyPpm">The frequency correction applied, in ppm.</param>
/// <param name="MaxErrorSeconds">The maximum error the disciplining daemon declared, grown by the kernel.</param>
/// <param name="EstErrorSeconds">The estimated error the daemon declared.</param>
/// <param name="OffsetSeconds">Offset the kernel PLL still has to slew.</param>
public readonly record struct KernelClockState(
    int State, int Status, double FrequencyPpm, double MaxErrorSeconds, double EstErrorSeconds, double OffsetSeconds, int Tai)
{
    public bool IsUnsynchronized => (Status & TimexConstants.StaUnsync) != 0 || State == TimexConstants.TimeError;
    public bool InsertLeap => (Status & TimexConstants.StaIns) != 0;
    public bool DeleteLeap => (Status & TimexConstants.StaDel) != 0;
    /// <summary>Inside an inserted second (TIME_OOP) or after a leap (TIME_WAIT): the clock has applied the leap.</summary>
    public bool LeapApplied => State is TimexConstants.TimeOop or TimexConstants.TimeWait;
}

/// <summary>
/// CLOCK_REALTIME's discipline through clock_adjtime. <see cref="Read"/> changes nothing and needs no privilege;
/// every other method changes the machine's clock and needs CAP_SYS_TIME.
/// </summary>
public static class KernelClock
{
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Reads the kernel state (modes 0: a read that changes nothing).</summary>
    public static KernelClockState Read()
    {
        var tx = default(Timex);
        return ToState(Call(ref tx), tx);
    }

    /// <summary>Sets the frequency correction, in ppm (±500 at most; the kernel clamps beyond that).</summary>
    public static KernelClockState SetFrequency(double ppm)
    {
        var tx = new Timex { Modes = TimexConstants.AdjFrequency, Freq = ToScaledPpm(ppm) };
        return ToState(Call(ref tx), tx);
    }

    /// <summary>Steps the clock by <paramref name="nanoseconds"/> (ADJ_SETOFFSET), atomically with respect to time readers.</summary>
    public static void Step(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000, out long nanos);
        if (nanos < 0)
        {
            // The kernel wants a normalized timeval: a non-negative fraction below one second.
            nanos += 1_000_000_000;
            seconds--;
        }

        var tx = new Timex { Modes = TimexConstants.AdjSetOffset | TimexConstants.AdjNano, TimeSeconds = seconds, TimeFraction = nanos };
        Call(ref tx);
    }

    /// <summary>
    /// Declares the clock's error bounds and whether it is synchronized (clears or sets STA_UNSYNC), so other
    /// programs reading adjtimex see the truth; the kernel grows maxerror by 500 ppm between calls.
    /// </summary>
    public static void SetStatus(bool synchronized, double maxErrorSeconds, double estErrorSeconds)
    {
        var read = default(Timex);
        Call(ref read);
        int status = synchronized ? read.Status & ~TimexConstants.StaUnsync : read.Status | TimexConstants.StaUnsync;
        var tx = new Timex
        {
            Modes = TimexConstants.AdjStatus | TimexConstants.AdjMaxError | TimexConstants.AdjEstError,
            Status = status & ~TimexConstants.StaPll,
            MaxError = ToMicroseconds(maxErrorSeconds),
            EstError = ToMicroseconds(estErrorSeconds),
        };
        Call(ref tx);
    }

    /// <summary>
    /// Arms (or disarms) the kernel's leap second for the coming midnight UTC, STA_INS or STA_DEL, and sets its
    /// TAI − UTC offset (which CLOCK_TAI adds; the kernel moves it by the leap when it applies one).
    /// </summary>
    /// <param name="direction">+1 inserts a second at midnight, −1 deletes one, 0 disarms.</param>
    public static void SetLeap(int direction, int taiOffsetSeconds)
    {
        var read = default(Timex);
        Call(ref read);
        Timex tx = LeapRequest(read.Status, direction, taiOffsetSeconds);
        Call(ref tx);
    }

    internal static Timex LeapRequest(int status, int direction, int taiOffsetSeconds) => new()
    {
        Modes = TimexConstants.AdjStatus | TimexConstants.AdjTai,
        Status = (status & ~(TimexConstants.StaIns | TimexConstants.StaDel | TimexConstants.StaPll))
            | (direction > 0 ? TimexConstants.StaIns : direction < 0 ? TimexConstants.StaDel : 0),
        // ADJ_TAI takes the offset in the constant field.
        Constant = taiOffsetSeconds,
    };

    internal static long ToScaledPpm(double ppm) => (long)Math.Round(Math.Clamp(ppm, -500, 500) * 65536.0);

    internal static KernelClockState ToState(int result, in Timex tx)
    {
        double offsetUnit = (tx.Status & TimexConstants.StaNano) != 0 ? 1e-9 : 1e-6;
        return new KernelClockState(
            result, tx.Status, tx.Freq / 65536.0, tx.MaxError * 1e-6, tx.EstError * 1e-6, tx.Offset * offsetUnit, tx.Tai);
    }

    private static long ToMicroseconds(double seconds) => (long)Math.Clamp(seconds * 1e6, 0, 16_000_000);

    private static int Call(ref Timex tx)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("clock_adjtime is Linux-only.");
        int result = Interop.Libc.ClockAdjtime(TimexConstants.ClockRealtime, ref tx);
        if (result < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "clock_adjtime failed");
        return result;
    }
}
