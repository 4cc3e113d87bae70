namespace FastNtp.Server.Timestamping;

/// <summary>
/// Tracks one PHC against the system clock from periodic samples (as chrony's hwclock does, in spirit): a least-squares
/// line of system time over PHC time through the last <see cref="Capacity"/> samples gives offset and rate. A sample
/// that moves backwards, or lands further than <see cref="StepNanoseconds"/> from the line's prediction (either clock
/// stepped), starts the history again; so does a rate further than <see cref="MaxRateError"/> from 1. One thread owns it.
/// </summary>
public sealed class PhcTracker
{
    /// <summary>Samples in the fit: at one a second, the last eight seconds.</summary>
    public const int Capacity = 8;

    /// <summary>A line needs two samples; with fewer there is no conversion and stamps stay software ones.</summary>
    public const int MinSamples = 2;

    /// <summary>NIC oscillators are within ±100 ppm or so, and servo-steered PHCs within ±1000 ppm; beyond this the samples are wrong.</summary>
    public const double MaxRateError = 1e-3;

    /// <summary>A sample this far from the predicted system time means a clock stepped.</summary>
    public const long StepNanoseconds = 1_000_000;

    private readonly PhcSample[] _samples = new PhcSample[Capacity];
    private int _count;
    private int _newest = -1;

    /// <summary>The line through the current samples; null until <see cref="MinSamples"/> agree.</summary>
    public PhcConversion? Current { get; private set; }

    /// <summary>Samples in the current fit.</summary>
    public int Count => _count;

    /// <summary>Takes a sample and returns the new line (null: none yet, or the history was restarted).</summary>
    public PhcConversion? Add(PhcSample sample)
    {
        if (_count > 0 && !Follows(sample)) _count = 0;
        _newest = (_newest + 1) % Capacity;
        _samples[_newest] = sample;
        _count = Math.Min(_count + 1, Capacity);
        Current = _count >= MinSamples ? Fit() : null;
        if (Current is not null && Math.Abs(Current.Rate - 1) > MaxRateError)
        {
            _samples[0] = sample;
            _newest = 0;
            _count = 1;
            Current = null;
        }

        return Current;
    }

    /// <summary>Forgets every sample (the PHC could not be read): no conversion until the history is rebuilt.</summary>
    public void Reset()
    {
        _count = 0;
        Current = null;
    }

    private bool Follows(PhcSample sample)
    {
        PhcSample last = _samples[_newest];
        if (sample.PhcNanoseconds <= last.PhcNanoseconds || sample.SystemNanoseconds <= last.SystemNanoseconds) return false;
        return Current is null
            || (Current.TryToSystem(sample.PhcNanoseconds, out long predicted) && Math.Abs(sample.SystemNanoseconds - predicted) <= StepNanoseconds);
    }

    private PhcConversion Fit()
    {
        // Relative to the newest sample, so the sums hold seconds, not decades, of nanoseconds.
        PhcSample reference = _samples[_newest];
        double sumX = 0, sumY = 0;
        for (int i = 0; i < _count; i++)
        {
            PhcSample s = _samples[(_newest - i + Capacity) % Capacity];
            sumX += s.PhcNanoseconds - reference.PhcNanoseconds;
            sumY += s.SystemNanoseconds - reference.SystemNanoseconds;
        }

        double meanX = sumX / _count, meanY = sumY / _count, sxx = 0, sxy = 0;
        for (int i = 0; i < _count; i++)
        {
            PhcSample s = _samples[(_newest - i + Capacity) % Capacity];
            double dx = s.PhcNanoseconds - reference.PhcNanoseconds - meanX;
            sxx += dx * dx;
            sxy += dx * (s.SystemNanoseconds - reference.SystemNanoseconds - meanY);
        }

        // Samples strictly increase in PHC time, so sxx > 0 with two or more.
        double rate = sxy / sxx;
        double atReference = meanY - rate * meanX;
        return new PhcConversion(reference.PhcNanoseconds, reference.SystemNanoseconds + (long)Math.Round(atReference), rate);
    }
}
