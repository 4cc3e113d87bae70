using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Sync;

public enum DisciplineKind : byte
{
    None,
    /// <summary>Step the clock by <see cref="DisciplineAction.Step"/> (only at start-up, above the step threshold).</summary>
    Step,
    /// <summary>Set the clock's frequency correction to <see cref="DisciplineAction.FrequencyPpm"/>.</summary>
    Frequency,
    /// <summary>The offset is beyond the panic threshold: the clock is left alone.</summary>
    Panic,
}

/// <summary>What the discipline wants done to the clock; the I/O layer carries it out.</summary>
public readonly record struct DisciplineAction(DisciplineKind Kind, NtpDuration Step, double FrequencyPpm)
{
    public static readonly DisciplineAction None = new(DisciplineKind.None, NtpDuration.Zero, 0);
}

/// <summary>
/// A type-II phase-locked loop in discrete form: each update sets the clock's frequency correction to an
/// integral term (the learned drift) plus a proportional term that removes a quarter of the measured offset
/// over the next interval. The gains (1/4 proportional, 1/64 integral per interval) place both poles of the
/// loop at 0.875, critically damped, whatever the interval. Offsets are our error: source time minus ours.
/// </summary>
public sealed class ClockDiscipline(double stepThreshold, double panicThreshold)
{
    /// <summary>Linux's adjtimex refuses frequency corrections beyond ±500 ppm.</summary>
    public const double MaxFrequencyPpm = 500;
    private const double ProportionalGain = 0.25;
    private const double IntegralGain = 1.0 / 64;

    private NtpTimestamp _lastUpdate;
    private bool _started;

    /// <summary>The learned drift correction, in ppm.</summary>
    public double IntegralPpm { get; private set; }
    /// <summary>The correction last asked for, in ppm.</summary>
    public double FrequencyPpm { get; private set; }
    public bool Panicked { get; private set; }

    /// <summary>Starts from a known frequency correction (what the kernel already applies).</summary>
    public void Initialize(double frequencyPpm)
    {
        IntegralPpm = Math.Clamp(frequencyPpm, -MaxFrequencyPpm, MaxFrequencyPpm);
        FrequencyPpm = IntegralPpm;
    }

    /// <param name="offset">Measured offset in seconds.</param>
    /// <param name="now">Local time of the update.</param>
    /// <param name="pollSeconds">The system peer's poll interval, the shortest interval the loop assumes.</param>
    public DisciplineAction Update(double offset, NtpTimestamp now, double pollSeconds)
    {
        if (double.IsNaN(offset) || Math.Abs(offset) > panicThreshold)
        {
            Panicked = true;
            return new DisciplineAction(DisciplineKind.Panic, NtpDuration.FromSeconds(offset), FrequencyPpm);
        }

        Panicked = false;
        if (!_started)
        {
            _started = true;
            _lastUpdate = now;
            if (Math.Abs(offset) > stepThreshold)
            {
                var step = NtpDuration.FromSeconds(offset);
                // Local time jumps with the step; the next interval is measured from the corrected clock.
                _lastUpdate = now + step;
                return new DisciplineAction(DisciplineKind.Step, step, FrequencyPpm);
            }
        }

        double interval = Math.Max(pollSeconds, (now - _lastUpdate).TotalSeconds);
        interval = Math.Max(interval, 1);
        _lastUpdate = now;
        IntegralPpm = Math.Clamp(IntegralPpm + IntegralGain * offset / interval * 1e6, -MaxFrequencyPpm, MaxFrequencyPpm);
        FrequencyPpm = Math.Clamp(IntegralPpm + ProportionalGain * offset / interval * 1e6, -MaxFrequencyPpm, MaxFrequencyPpm);
        return new DisciplineAction(DisciplineKind.Frequency, NtpDuration.Zero, FrequencyPpm);
    }
}
