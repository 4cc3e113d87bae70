using System.Globalization;

namespace FastNtp.Server.Sync;

/// <summary>Offsets and steps as a person reads them in a log line: "+7.48 ms", "-12.3 µs", "+1.20 s" (three significant digits).</summary>
internal static class Readable
{
    public static string Seconds(double seconds)
    {
        if (!double.IsFinite(seconds)) return $"{seconds.ToString(CultureInfo.InvariantCulture)} s";
        if (seconds == 0) return "0 s";
        double magnitude = Math.Abs(seconds);
        (double value, string unit) = magnitude >= 1 ? (seconds, "s")
            : magnitude >= 1e-3 ? (seconds * 1e3, "ms")
            : magnitude >= 1e-6 ? (seconds * 1e6, "µs")
            : (seconds * 1e9, "ns");
        int decimals = Math.Max(0, 2 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        return $"{value.ToString("+0." + new string('0', decimals) + ";-0." + new string('0', decimals), CultureInfo.InvariantCulture).TrimEnd('.')} {unit}";
    }
}
