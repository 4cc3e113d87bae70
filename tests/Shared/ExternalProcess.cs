using System.Diagnostics;
using System.Globalization;

namespace FastNtp.Tests.Shared;

/// <summary>A child process whose output lines (stdout and stderr) are collected, with bounded waits and its whole tree killed on dispose.</summary>
public sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    private ExternalProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything written so far, stdout and stderr interleaved as it arrived.</summary>
    public string Output
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines);
        }
    }

    /// <summary>
    /// The full path of a program a test needs. When it is absent the test fails (never skips) with the package to install,
    /// so a machine without it cannot pass the suite silently.
    /// </summary>
    public static string RequireProgram(string name, string debianPackage)
    {
        // sbin directories too: chronyd lives there and is often not on a non-root PATH.
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }

        Assert.Fail($"{name} is not installed: run scripts/install-deps.sh as root (Debian package {debianPackage})");
        return "";
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with every signal at its default disposition (through <see cref="WithDefaultSignals"/>).
    /// </summary>
    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        (string program, IReadOnlyList<string> programArguments) = WithDefaultSignals(fileName, arguments);
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A child that reads the console must not steal the test runner's.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in programArguments) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach ((string key, string value) in environment) info.Environment[key] = value;
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        return new ExternalProcess(process);
    }

    /// <summary>
    /// The command that runs a program with every signal at its default disposition: coreutils' <c>env --default-signal</c>
    /// (coreutils 8.31 and later), which resets them and executes the program in its own place (same process id).
    /// A child inherits the signals its parent ignores, and a test runner started under <c>nohup</c> or by a CI shell may
    /// ignore SIGINT and SIGHUP; .NET keeps a signal that was ignored at its start ignored, so a server started from
    /// such a runner would shrug off the signals a test sends it and fail the test falsely.
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) WithDefaultSignals(string fileName, IEnumerable<string> arguments) =>
        ("env", ["--default-signal", "--", fileName, .. arguments]);

    /// <summary>Runs a command to completion and returns its exit code and output; throws when it outlives <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        using ExternalProcess p = Start(fileName, arguments, environment);
        if (!p.WaitForExit(timeout)) throw new TimeoutException($"{fileName} did not finish within {timeout}: {p.Output}");
        return (p.ExitCode, p.Output);
    }

    /// <summary>Like <see cref="Run"/>, but a non-zero exit is an error that carries the output.</summary>
    public static string RunChecked(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        (int exit, string output) = Run(fileName, arguments, timeout);
        if (exit != 0) throw new InvalidOperationException($"{Path.GetFileName(fileName)} failed with exit code {exit}: {output}");
        return output;
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // drains the asynchronous output readers
        return true;
    }

    /// <summary>Waits until a line matches, the process exits, or the timeout passes.</summary>
    public bool WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            lock (_gate)
            {
                if (_lines.Any(match)) return true;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit();
                lock (_gate) return _lines.Any(match);
            }

            Thread.Sleep(20);
        }

        return false;
    }

    /// <summary>Sends a signal by name (TERM, INT, HUP...) to the process itself, not its children.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            // The whole tree: chronyd with NTS forks a key-exchange helper, `ip netns exec` runs its command as a child.
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_gate) _lines.Add(line);
    }
}
