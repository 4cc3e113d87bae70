using System.Globalization;
using FastNtp.Interop.Sockets;
using static FastNtp.Interop.Interop.Libc;

namespace FastNtp.Interop.Timestamping;

/// <summary>One reading of a PHC against CLOCK_REALTIME: the system clock just before and just after the PHC was read.</summary>
/// <remarks>A cross-timestamp the hardware takes at once (PTP_SYS_OFFSET_PRECISE) has both system readings equal.</remarks>
public readonly record struct PhcReading(long SystemBeforeNanoseconds, long PhcNanoseconds, long SystemAfterNanoseconds)
{
    /// <summary>How long the PHC read took as the system clock saw it; the reading's uncertainty is half of it.</summary>
    public long BracketNanoseconds => SystemAfterNanoseconds - SystemBeforeNanoseconds;
}

/// <summary>How a PHC answers for its offset to the system clock, best first.</summary>
public enum PhcReadMethod
{
    /// <summary>No reading has succeeded yet, or none can.</summary>
    None,
    /// <summary>PTP_SYS_OFFSET_EXTENDED: the driver brackets the PHC read itself, as tightly as it can.</summary>
    Extended,
    /// <summary>PTP_SYS_OFFSET_PRECISE: the hardware's own cross-timestamp (PCIe PTM, Intel ART).</summary>
    Precise,
    /// <summary>PTP_SYS_OFFSET: the kernel brackets the driver's whole read.</summary>
    Basic,
}

/// <summary>
/// A PTP hardware clock (/dev/ptpN) opened read-only: the clock a NIC's hardware timestamps count in. Reads
/// give readings against CLOCK_REALTIME; the first method that works is kept.
/// </summary>
public sealed unsafe class PtpHardwareClock : IDisposable
{
    private readonly SafeFileDescriptor _fd;

    private PtpHardwareClock(SafeFileDescriptor fd, int index)
    {
        _fd = fd;
        Index = index;
    }

    /// <summary>N of /dev/ptpN.</summary>
    public int Index { get; }

    public PhcReadMethod Method { get; private set; }

    public static string DevicePath(int index) => "/dev/ptp" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Opens /dev/ptp<paramref name="index"/>; false with the errno when it cannot (absent, or root only and not root).</summary>
    public static bool TryOpen(int index, out PtpHardwareClock? clock, out Errno errno)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int fd = Open(DevicePath(index), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            clock = null;
            errno = NativeSocketException.LastErrno();
            return false;
        }

        clock = new PtpHardwareClock(new SafeFileDescriptor(fd), index);
        errno = Errno.None;
        return true;
    }

    /// <summary>
    /// Reads up to <paramref name="readings"/>.Length (at most 25) readings; returns how many, 0 when every method
    /// failed. Once a method works it is the only one tried, so a clock that fails later fails visibly.
    /// </summary>
    public int Read(Span<PhcReading> readings)
    {
        int count = Math.Min(readings.Length, PTP_MAX_SAMPLES);
        if (count == 0) return 0;
        if (Method is PhcReadMethod.None or PhcReadMethod.Extended)
        {
            var extended = new PtpSysOffsetExtended { SampleCount = (uint)count };
            if (Ioctl(_fd, PTP_SYS_OFFSET_EXTENDED, &extended) == 0)
            {
                Method = PhcReadMethod.Extended;
                return ToReadings(extended, readings[..count]);
            }

            if (Method == PhcReadMethod.Extended) return 0;
        }

        if (Method is PhcReadMethod.None or PhcReadMethod.Precise)
        {
            var precise = default(PtpSysOffsetPrecise);
            if (Ioctl(_fd, PTP_SYS_OFFSET_PRECISE, &precise) == 0)
            {
                Method = PhcReadMethod.Precise;
                return ToReadings(precise, readings);
            }

            if (Method == PhcReadMethod.Precise) return 0;
        }

        var basic = new PtpSysOffset { SampleCount = (uint)count };
        if (Ioctl(_fd, PTP_SYS_OFFSET, &basic) != 0) return 0;
        Method = PhcReadMethod.Basic;
        return ToReadings(basic, readings[..count]);
    }

    internal static int ToReadings(in PtpSysOffsetExtended offsets, Span<PhcReading> readings)
    {
        for (int i = 0; i < readings.Length; i++)
            readings[i] = new PhcReading(offsets.Time(i, 0).TotalNanoseconds, offsets.Time(i, 1).TotalNanoseconds, offsets.Time(i, 2).TotalNanoseconds);
        return readings.Length;
    }

    internal static int ToReadings(in PtpSysOffsetPrecise offset, Span<PhcReading> readings)
    {
        long system = offset.SystemRealtime.TotalNanoseconds;
        readings[0] = new PhcReading(system, offset.Device.TotalNanoseconds, system);
        return 1;
    }

    /// <summary>The basic call's readings alternate system, PHC, system...: reading i is times 2i, 2i+1, 2i+2.</summary>
    internal static int ToReadings(in PtpSysOffset offsets, Span<PhcReading> readings)
    {
        for (int i = 0; i < readings.Length; i++)
            readings[i] = new PhcReading(offsets.Time(2 * i).TotalNanoseconds, offsets.Time(2 * i + 1).TotalNanoseconds, offsets.Time(2 * i + 2).TotalNanoseconds);
        return readings.Length;
    }

    public void Dispose() => _fd.Dispose();
}
