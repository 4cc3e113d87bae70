using System.Globalization;
using System.Text.RegularExpressions;

namespace FastNtp.Tests.Shared;

/// <summary>
/// chrony's daemon as a real NTP/NTS peer on loopback. Each run gets its own pidfile and no command port, so it can run
/// beside other test instances and a system chronyd; -x (server) and -Q (client) keep it from touching this machine's clock.
/// </summary>
public static partial class Chronyd
{
    /// <summary>The chronyd path; fails the test with the package to install when chrony is missing.</summary>
    public static string RequireInstalled() => ExternalProcess.RequireProgram("chronyd", "chrony");

    /// <summary>
    /// Starts <c>chronyd -x -d</c> serving NTP on 127.0.0.1:<paramref name="port"/> to loopback clients, with the extra
    /// <paramref name="directives"/> (e.g. "local stratum 2", NTS server lines). It needs a moment to bind: callers retry.
    /// </summary>
    public static ChronydServer StartServer(int port, params string[] directives)
    {
        string chronyd = RequireInstalled();
        string dir = Directory.CreateTempSubdirectory("fastntp-chronyd-").FullName;
        try
        {
            string conf = Path.Combine(dir, "chrony.conf");
            File.WriteAllLines(conf,
            [
                $"port {port}",
                "bindaddress 127.0.0.1",
                "allow 127.0.0.1",
                "cmdport 0",
                $"pidfile {Path.Combine(dir, "chronyd.pid")}",
                .. directives,
            ]);
            // -d: stay in the foreground and log to stderr, which the test collects; -u root: no privilege drop to a missing user.
            return new ChronydServer(port, dir, ExternalProcess.Start(chronyd, ["-x", "-d", "-u", "root", "-f", conf]));
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Runs <c>chronyd -Q</c> once with <paramref name="directives"/> (its server lines): it measures the servers and prints
    /// "System clock wrong by X seconds" without adjusting anything, and exits non-zero when no server gave a usable sample
    /// within <paramref name="timeLimitSeconds"/>.
    /// </summary>
    public static (int ExitCode, string Output) Query(IEnumerable<string> directives, int timeLimitSeconds = 20)
    {
        string chronyd = RequireInstalled();
        string dir = Directory.CreateTempSubdirectory("fastntp-chronyd-query-").FullName;
        try
        {
            // Directives on the command line mean no configuration file is read; -f /dev/null makes that explicit.
            string[] arguments =
            [
                "-Q", "-u", "root", "-t", timeLimitSeconds.ToString(CultureInfo.InvariantCulture), "-f", "/dev/null",
                $"pidfile {Path.Combine(dir, "chronyd.pid")}", "cmdport 0", .. directives,
            ];
            // chronyd enforces its own limit; the extra margin only catches a hang.
            return ExternalProcess.Run(chronyd, arguments, TimeSpan.FromSeconds(timeLimitSeconds + 20));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The offset in seconds that <c>chronyd -Q</c> printed, or null when it printed none.</summary>
    public static double? MeasuredOffset(string output)
    {
        Match offset = OffsetLine().Match(output);
        return offset.Success ? double.Parse(offset.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"System clock wrong by (-?[0-9.]+) seconds")]
    private static partial Regex OffsetLine();
}

/// <summary>A running <c>chronyd -x</c> server; dispose kills its process tree and removes its configuration directory.</summary>
public sealed class ChronydServer : IDisposable
{
    private readonly ExternalProcess _process;

    internal ChronydServer(int port, string directory, ExternalProcess process)
    {
        Port = port;
        Directory = directory;
        _process = process;
    }

    /// <summary>The UDP port it serves NTP on, at 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Its private temp directory (configuration, pidfile), removed on dispose.</summary>
    public string Directory { get; }

    /// <summary>chronyd's log so far, for failure messages.</summary>
    public string Output => _process.Output;

    public void Dispose()
    {
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
