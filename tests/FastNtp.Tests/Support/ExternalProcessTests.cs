using System.Globalization;
using FastNtp.Tests.Shared;

namespace FastNtp.Tests.Support;

/// <summary>The harness that starts every child process of the tests (tests/Shared/ExternalProcess.cs).</summary>
public sealed class ExternalProcessTests
{
    private const int SigHup = 1;
    private const int SigInt = 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>A child that prints the signals it ignores, from its own /proc status.</summary>
    private static readonly string[] OwnIgnoredSignals = ["grep", "^SigIgn:", "/proc/self/status"];

    /// <summary>What a runner under `nohup` in a shell that ignores SIGINT hands its children: both ignored.</summary>
    private static readonly string[] IgnoringRunner = ["--ignore-signal=INT,HUP"];

    [Fact]
    public void WithDefaultSignals_StartsTheChildWithSigintAndSighupAtTheirDefaultUnderARunnerThatIgnoresThem()
    {
        // Without the harness's reset the child inherits both ignored: the false failure this guards against.
        ulong inherited = IgnoredSignals(ExternalProcess.RunChecked("env", [.. IgnoringRunner, .. OwnIgnoredSignals], Timeout));
        Assert.True(IsIgnored(inherited, SigInt) && IsIgnored(inherited, SigHup), $"mask {inherited:x}");

        (string program, IReadOnlyList<string> arguments) = ExternalProcess.WithDefaultSignals(OwnIgnoredSignals[0], OwnIgnoredSignals[1..]);
        ulong started = IgnoredSignals(ExternalProcess.RunChecked("env", [.. IgnoringRunner, program, .. arguments], Timeout));
        Assert.False(IsIgnored(started, SigInt), $"mask {started:x}");
        Assert.False(IsIgnored(started, SigHup), $"mask {started:x}");
    }

    /// <summary>The SigIgn mask of a /proc/PID/status line ("SigIgn:\t0000000000000003"): bit n − 1 for signal n.</summary>
    private static ulong IgnoredSignals(string statusLine) =>
        ulong.Parse(statusLine.Trim()["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static bool IsIgnored(ulong mask, int signal) => (mask & 1UL << (signal - 1)) != 0;
}
