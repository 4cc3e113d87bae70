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
    public static double? TryReadSeconds(int pid) => TryRead(pid)?.TotalSeconds;

    /// <summary>User and kernel CPU the process has used so far, or null when it is gone or /proc cannot be read.</summary>
    public static CpuTimes? TryRead(int pid)
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

        return TryParseStat(text, out long user, out long system) ? CpuTimes.FromTicks(user, system) : null;
    }
}

/// <summary>
/// Busy time of one CPU from /proc/stat, whatever ran there: the server's core when its work is not all in one
/// process (softirq and NAPI threads of a veth, an XDP program, which runs in no process at all).
/// </summary>
internal static class CoreCpu
{
    /// <summary>
    /// Reads the busy seconds (user + nice + system + irq + softirq, in USER_HZ) of <c>cpu<paramref name="cpu"/></c> from the
    /// text of /proc/stat; idle, iowait and steal (time the hypervisor gave to someone else) are not busy.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<char> stat, int cpu, out double busySeconds)
    {
        busySeconds = 0;
        string prefix = "cpu" + cpu.ToString(CultureInfo.InvariantCulture) + " ";
        foreach (Range line in stat.Split('\n'))
        {
            ReadOnlySpan<char> text = stat[line];
            if (!text.StartsWith(prefix, StringComparison.Ordinal)) continue;
            long busy = 0;
            int field = 0;
            foreach (Range token in text[prefix.Length..].Split(' '))
            {
                ReadOnlySpan<char> value = text[prefix.Length..][token];
                if (value.IsEmpty) continue;
                field++;
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)) return false;
                // Fields: user nice system idle iowait irq softirq steal guest guest_nice.
                if (field is 1 or 2 or 3 or 6 or 7) busy += ticks;
                if (field == 7)
                {
                    busySeconds = (double)busy / ProcessCpu.ClockTicksPerSecond;
                    return true;
                }
            }

            return false;
        }

        return false;
    }

    /// <summary>Busy seconds of the CPU so far, or null when /proc/stat has no such CPU.</summary>
    public static double? TryReadBusySeconds(int cpu)
    {
        try
        {
            return TryParseStat(File.ReadAllText("/proc/stat"), cpu, out double busy) ? busy : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// CPU time split as the kernel accounts it: user space (utime) and kernel (stime). On loopback the kernel share
/// is mostly the network stack's per-packet work, which is the same for every server; the user share is what the
/// server's own code costs.
/// </summary>
internal readonly record struct CpuTimes(double UserSeconds, double SystemSeconds)
{
    public double TotalSeconds => UserSeconds + SystemSeconds;

    public static CpuTimes FromTicks(long userTicks, long systemTicks) =>
        new((double)userTicks / ProcessCpu.ClockTicksPerSecond, (double)systemTicks / ProcessCpu.ClockTicksPerSecond);

    public static CpuTimes operator -(CpuTimes end, CpuTimes start) =>
        new(end.UserSeconds - start.UserSeconds, end.SystemSeconds - start.SystemSeconds);
}

/// <summary>CPU seconds used so far by the server under test (when its PID is known) and by this generator.</summary>
/// <param name="Server">The server's user/kernel split; null when not sampled.</param>
/// <param name="ServerCoreSeconds">Busy seconds of the server's CPU (<c>--server-cpu</c>); null when not sampled.</param>
internal readonly record struct CpuSample(double? ServerSeconds, double? GeneratorSeconds, CpuTimes? Server = null, double? ServerCoreSeconds = null)
{
    public static CpuSample Of(CpuTimes? server, double? generatorSeconds, double? serverCoreSeconds = null) =>
        new(server?.TotalSeconds, generatorSeconds, server, serverCoreSeconds);

    /// <summary>What happened between <paramref name="start"/> and <paramref name="end"/>; null parts stay null.</summary>
    public static CpuSample Between(CpuSample start, CpuSample end) => new(
        end.ServerSeconds - start.ServerSeconds,
        end.GeneratorSeconds - start.GeneratorSeconds,
        end.Server is { } e && start.Server is { } s ? e - s : null,
        end.ServerCoreSeconds - start.ServerCoreSeconds);
}

/// <summary>
/// Takes <see cref="CpuSample"/>s: the server by <c>--server-pid</c>, the server's core by <c>--server-cpu</c>, the
/// generator by its own PID.
/// </summary>
internal sealed class CpuSampler
{
    private readonly int? _serverPid;
    private readonly int? _serverCpu;
    private readonly int _ownPid = Environment.ProcessId;

    public CpuSampler(int? serverPid, int? serverCpu = null)
    {
        _serverPid = serverPid;
        _serverCpu = serverCpu;
    }

    public CpuSample Sample() => CpuSample.Of(
        _serverPid is { } pid ? ProcessCpu.TryRead(pid) : null,
        ProcessCpu.TryReadSeconds(_ownPid),
        _serverCpu is { } cpu ? CoreCpu.TryReadBusySeconds(cpu) : null);
}
