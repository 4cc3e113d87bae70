using FastNtp.Interop.Clock;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Server.Sync;

/// <summary>The kernel clock's discipline interface, a seam so tests steer a simulated clock instead of the machine's.</summary>
public interface IKernelClock
{
    /// <summary>Reads the kernel state without changing anything.</summary>
    KernelClockState Read();

    void SetFrequency(double ppm);

    void Step(NtpDuration offset);

    /// <summary>Publishes our error bounds and sync state to the kernel, for other readers of adjtimex.</summary>
    void SetStatus(bool synchronized, double maxErrorSeconds, double estErrorSeconds);

    /// <summary>Arms the leap second for the coming midnight UTC (+1 insert, −1 delete, 0 none) and sets TAI − UTC.</summary>
    void SetLeap(int direction, int taiOffsetSeconds);
}

/// <summary>CLOCK_REALTIME through clock_adjtime. Everything but <see cref="Read"/> needs CAP_SYS_TIME.</summary>
public sealed class SystemKernelClock : IKernelClock
{
    public KernelClockState Read() => KernelClock.Read();

    public void SetFrequency(double ppm) => KernelClock.SetFrequency(ppm);

    public void Step(NtpDuration offset) => KernelClock.Step(offset.TotalNanoseconds);

    public void SetStatus(bool synchronized, double maxErrorSeconds, double estErrorSeconds) =>
        KernelClock.SetStatus(synchronized, maxErrorSeconds, estErrorSeconds);

    public void SetLeap(int direction, int taiOffsetSeconds) => KernelClock.SetLeap(direction, taiOffsetSeconds);
}
