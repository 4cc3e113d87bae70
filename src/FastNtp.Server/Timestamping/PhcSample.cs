using FastNtp.Interop.Timestamping;

namespace FastNtp.Server.Timestamping;

/// <summary>
/// One correspondence between a PTP hardware clock and CLOCK_REALTIME: when the system clock read
/// <see cref="SystemNanoseconds"/>, the PHC read <see cref="PhcNanoseconds"/>, within half of <see cref="BracketNanoseconds"/>.
/// </summary>
public readonly record struct PhcSample(long SystemNanoseconds, long PhcNanoseconds, long BracketNanoseconds)
{
    /// <summary>
    /// A bracket wider than this means the reader was preempted or interrupted between its system readings; such a
    /// reading says little about the offset and is not used (good PHC reads bracket in a few microseconds or less).
    /// </summary>
    public const long MaxBracketNanoseconds = 100_000;

    /// <summary>
    /// The reading with the shortest system-time bracket (the least time for the PHC read to hide in), its system
    /// time taken at the bracket's middle. False when no reading is usable: none, or every bracket negative (the
    /// system clock stepped during the read) or wider than <see cref="MaxBracketNanoseconds"/>.
    /// </summary>
    public static bool TryPick(ReadOnlySpan<PhcReading> readings, out PhcSample sample)
    {
        sample = default;
        long best = long.MaxValue;
        foreach (PhcReading reading in readings)
        {
            long bracket = reading.BracketNanoseconds;
            if (bracket < 0 || bracket > MaxBracketNanoseconds || bracket >= best) continue;
            best = bracket;
            sample = new PhcSample(reading.SystemBeforeNanoseconds + bracket / 2, reading.PhcNanoseconds, bracket);
        }

        return best != long.MaxValue;
    }
}
