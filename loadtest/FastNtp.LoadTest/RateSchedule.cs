namespace FastNtp.LoadTest;

/// <summary>One load step: a constant offered rate held for a fixed time.</summary>
internal readonly record struct LoadStep(int Index, double Rate, TimeSpan Duration);

/// <summary>The ordered steps of a run: one fixed rate, or a geometric staircase as ntpperf's -r/-R/-m.</summary>
internal static class RateSchedule
{
    /// <summary>Upper bound on steps so a typo in the multiplier cannot produce an unbounded run.</summary>
    public const int MaxSteps = 200;

    public static IReadOnlyList<LoadStep> Fixed(double rate, TimeSpan duration)
    {
        if (!(rate > 0)) throw new ArgumentOutOfRangeException(nameof(rate), "The rate must be positive.");
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), "The duration must be positive.");
        return [new LoadStep(0, rate, duration)];
    }

    /// <summary>
    /// start, start·mult, start·mult², … while the rate does not exceed <paramref name="max"/>; the last
    /// step is <paramref name="max"/> itself when the progression jumps over it, so the ceiling is always measured.
    /// </summary>
    public static IReadOnlyList<LoadStep> Stepped(double start, double multiplier, double max, TimeSpan duration)
    {
        if (!(start > 0)) throw new ArgumentOutOfRangeException(nameof(start), "The start rate must be positive.");
        if (!(multiplier > 1)) throw new ArgumentOutOfRangeException(nameof(multiplier), "The multiplier must be greater than 1.");
        if (!(max >= start)) throw new ArgumentOutOfRangeException(nameof(max), "The maximum rate must be at least the start rate.");
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), "The duration must be positive.");

        var steps = new List<LoadStep>();
        double rate = start;
        // A relative tolerance keeps 1000·10 from missing 10000 by a rounding ulp.
        while (rate <= max * (1 + 1e-9))
        {
            if (steps.Count == MaxSteps)
                throw new ArgumentOutOfRangeException(nameof(multiplier), $"The schedule would have more than {MaxSteps} steps.");
            steps.Add(new LoadStep(steps.Count, Math.Min(rate, max), duration));
            rate *= multiplier;
        }

        if (steps[^1].Rate < max * (1 - 1e-9))
            steps.Add(new LoadStep(steps.Count, max, duration));
        return steps;
    }

    /// <summary>Total wall time of the schedule including the drain pause after every step.</summary>
    public static TimeSpan TotalTime(IReadOnlyList<LoadStep> steps, TimeSpan drain)
    {
        TimeSpan total = TimeSpan.Zero;
        foreach (LoadStep step in steps) total += step.Duration + drain;
        return total;
    }
}

/// <summary>
/// Open-loop pacing: how many requests should have left by a given moment of a step. Counting from the
/// step start (not from the last send) keeps the long-run rate exact whatever the loop's jitter.
/// </summary>
internal readonly struct Pacer
{
    private readonly double _perTick;

    public Pacer(double ratePerSecond, long ticksPerSecond)
    {
        if (!(ratePerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(ratePerSecond));
        if (ticksPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(ticksPerSecond));
        _perTick = ratePerSecond / ticksPerSecond;
    }

    /// <summary>Requests due from the step start up to <paramref name="elapsedTicks"/>, never negative.</summary>
    // The small bias absorbs floating-point error, so a whole second at N/s is N, never N − 1.
    public long DueBy(long elapsedTicks) => elapsedTicks <= 0 ? 0 : (long)(elapsedTicks * _perTick + 1e-6);

    /// <summary>Ticks from the step start at which request number <paramref name="count"/> (1-based) falls due.</summary>
    public long TicksUntilDue(long count) => count <= 0 ? 0 : (long)Math.Ceiling((count - 1e-6) / _perTick);

    /// <summary>How many to send now: due minus sent, capped to a batch and to <paramref name="maxBacklog"/> behind.</summary>
    /// <remarks>
    /// Fewer than <paramref name="minimum"/> due sends nothing yet: at high rates requests leave in small
    /// bursts (a few tens of microseconds' worth), so each sendmmsg carries more than one datagram.
    /// </remarks>
    public int ToSend(long elapsedTicks, long alreadySent, int batch, long maxBacklog, out long skipped, int minimum = 1)
    {
        long backlog = DueBy(elapsedTicks) - alreadySent;
        skipped = 0;
        if (backlog <= 0 || backlog < minimum) return 0;
        // When the generator itself falls behind, it drops what it could not send in time rather than
        // bursting it later; the step then reports a lower sent rate than offered, honestly.
        if (backlog > maxBacklog)
        {
            skipped = backlog - maxBacklog;
            backlog = maxBacklog;
        }

        return (int)Math.Min(backlog, batch);
    }
}
