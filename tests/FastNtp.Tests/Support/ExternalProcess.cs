using System.Diagnostics;

namespace FastNtp.Tests.Support;

/// <summary>A child process whose output lines are collected, with bounded waits and a guaranteed kill on dispose.</summary>
public sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly object _gate = new();

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

    public string Output
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines);
        }
    }

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach ((string key, string value) in environment) info.Environment[key] = value;
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        return new ExternalProcess(process);
    }

    /// <summary>Runs a command to completion (bounded) and returns exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        using ExternalProcess p = Start(fileName, arguments, environment);
        if (!p.WaitForExit(timeout)) throw new TimeoutException($"{fileName} did not finish within {timeout}: {p.Output}");
        return (p.ExitCode, p.Output);
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

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
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
