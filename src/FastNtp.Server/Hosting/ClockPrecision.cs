namespace FastNtp.Server.Hosting;

/// <summary>Measures the precision an NTP server advertises: log2 of the smallest step the clock reads show.</summary>
public static class ClockPrecision
{
    public static sbyte Measure()
    {
        var clock = new RealtimeClock();
        long smallest = long.MaxValue;
        for (int i = 0; i < 1000; i++)
        {
            ulong a = clock.Now().Value;
            ulong b = clock.Now().Value;
            while (b == a) b = clock.Now().Value;
            smallest = Math.Min(smallest, (long)(b - a));
        }

        // Units are 2^-32 s, so log2(step) - 32 is the exponent in seconds, rounded up.
        int exponent = (int)Math.Ceiling(Math.Log2(smallest)) - 32;
        return (sbyte)Math.Clamp(exponent, -32, 0);
    }
}
