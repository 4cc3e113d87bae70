using System.ComponentModel;
using FastNtp.Interop.Clock;
using FastNtp.Server.Sync;

namespace FastNtp.Server.Tests.Sync;

/// <summary>A simulated kernel clock: records every change asked of it, never touches the machine's clock.</summary>
internal sealed class FakeKernelClock : IKernelClock
{
    private readonly Lock _lock = new();
    private readonly List<NtpDuration> _steps = [];
    private readonly List<double> _frequencies = [];
    private readonly List<(bool Synchronized, double MaxError, double EstError)> _statuses = [];
    private readonly List<(int Direction, int TaiOffset)> _leaps = [];
    private KernelClockState _state;
    public int Modifications;

    public KernelClockState State
    {
        get { lock (_lock) return _state; }
        set { lock (_lock) _state = value; }
    }

    /// <summary>Makes every changing call fail the way clock_adjtime does without CAP_SYS_TIME.</summary>
    public bool Refuse { get; set; }

    /// <summary>Copies, so the test thread never reads a list the synchronizer thread is appending to.</summary>
    public NtpDuration[] Steps
    {
        get { lock (_lock) return [.. _steps]; }
    }

    public double[] Frequencies
    {
        get { lock (_lock) return [.. _frequencies]; }
    }

    public (bool Synchronized, double MaxError, double EstError)[] Statuses
    {
        get { lock (_lock) return [.. _statuses]; }
    }

    /// <summary>Every SetLeap call: direction (+1 insert, −1 delete, 0 none) and TAI − UTC.</summary>
    public (int Direction, int TaiOffset)[] Leaps
    {
        get { lock (_lock) return [.. _leaps]; }
    }

    public KernelClockState Read() => State;

    public void SetFrequency(double ppm)
    {
        Change();
        lock (_lock) _frequencies.Add(ppm);
    }

    public void Step(NtpDuration offset)
    {
        Change();
        lock (_lock) _steps.Add(offset);
    }

    public void SetStatus(bool synchronized, double maxErrorSeconds, double estErrorSeconds)
    {
        Change();
        lock (_lock) _statuses.Add((synchronized, maxErrorSeconds, estErrorSeconds));
    }

    public void SetLeap(int direction, int taiOffsetSeconds)
    {
        Change();
        lock (_lock) _leaps.Add((direction, taiOffsetSeconds));
    }

    private void Change()
    {
        if (Refuse) throw new Win32Exception(1, "Operation not permitted");
        Interlocked.Increment(ref Modifications);
    }
}
