using System.Globalization;

namespace FastNtp.LoadTest;

/// <summary>CPU time a process has used, all its threads (live and exited) included, from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    /// <summary>
    /// USER_HZ, the unit of utime and stime in /proc: part of the kernel's user ABI and 100 on every Linux
    /// architecture .NET runs on (sysconf(_SC_CLK_TCK) returns the same constant).
    /// </summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>
    /// Reads utime + stime (fields 14 and 15) from the text of /proc/PID/stat. The second field, the command
    /// name, is in parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<char> stat, out long userTicks, out long systemTicks)
    {
        userTicks = systemTicks = 0;
        int close = stat.LastIndexOf(')');
        if (close < 0) return false;
        ReadOnlySpan<char> rest = stat[(close + 1)..];
        // After ')' come field 3 (state) onwards; utime is field 14, the 12th of these.
        int field = 2;
        while (true)
        {
            rest = rest.TrimStart(' ');
            if (rest.IsEmpty) return false;
            int end = rest.IndexOf(' ');
            ReadOnlySpan<char> token = end < 0 ? rest : rest[..end];
            field++;
            if (field == 14 && !long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out userTicks)) return false;
            if (field == 15)
                return long.TryParse(token.TrimEnd('\n'), NumberStyles.None, CultureInfo.InvariantCulture, out systemTicks);
            if (end < 0) return false;
            rest = rest[end..];
        }
    }

    /// <summary>Seconds of CPU the process has used so far, or null when it is gone or /proc cannot be read.</summary>
    public static double? TryReadSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return TryParseStat(text, out long user, out long system) ? (double)(user + system) / ClockTicksPerSecond : null;
    }
}

/// <summary>CPU seconds used so far by the server under test (when its PID is known) and by this generator.</summary>
internal readonly record struct CpuSample(double? ServerSeconds, double? GeneratorSeconds)
{
    /// <summary>What happened between <paramref name="start"/> and <paramref name="end"/>; null parts stay null.</summary>
    public static CpuSample Between(CpuSample start, CpuSample end) => new(
        end.ServerSeconds - start.ServerSeconds,
        end.GeneratorSeconds - start.GeneratorSeconds);
}

/// <summary>Takes <see cref="CpuSample"/>s: the server by <c>--server-pid</c>, the generator by its own PID.</summary>
internal sealed class CpuSampler
{
    private readonly int? _serverPid;
    private readonly int _ownPid = Environment.ProcessId;

    public CpuSampler(int? serverPid) => _serverPid = serverPid;

    public CpuSample Sample() => new(
        _serverPid is { } pid ? ProcessCpu.TryReadSeconds(pid) : null,
        ProcessCpu.TryReadSeconds(_ownPid));
}
