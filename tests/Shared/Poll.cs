using System.Diagnostics;

namespace FastNtp.Tests.Shared;

/// <summary>Bounded waits for something another thread or process brings about.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Checks <paramref name="condition"/> every 50 ms until it holds or <paramref name="timeout"/> passes; returns its last value.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(Interval);
        }

        return condition();
    }

    /// <summary>The same for async tests, without blocking a thread-pool thread.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition()) return true;
            await Task.Delay(Interval).ConfigureAwait(false);
        }

        return condition();
    }
}
