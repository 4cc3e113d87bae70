using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Sync;

namespace FastNtp.Server.Configuration;

public sealed class ClockOptions
{
    public string Control { get; set; } = "none";
    public double MaxOffset { get; set; } = 0.010;
    public double StepThreshold { get; set; } = 0.128;
    public double PanicThreshold { get; set; } = 1000;
    public int Stratum { get; set; } = 1;
    public string ReferenceId { get; set; } = "GPS";
    public string? LeapFile { get; set; }
    public bool LeapSmear { get; set; }
    public TimeSpan LeapSmearWindow { get; set; } = TimeSpan.FromDays(1);
}

/// <param name="Control">Who keeps the system clock: nobody (observe only), this server, or another program.</param>
/// <param name="MaxOffset">With control none: largest measured offset, seconds, still advertised as synchronized.</param>
/// <param name="StepThreshold">With control kernel: a start-up offset above this many seconds is stepped, not slewed.</param>
/// <param name="PanicThreshold">With control kernel: an offset above this many seconds is never corrected.</param>
/// <param name="Stratum">With control follow-kernel: the stratum to advertise.</param>
/// <param name="ReferenceId">With control follow-kernel: the reference id to advertise.</param>
/// <param name="LeapFile">IANA's leap-seconds.list, or null: leaps and TAI − UTC then come from upstream alone.</param>
/// <param name="LeapSmear">Smear leap seconds in served time instead of announcing them.</param>
/// <param name="LeapSmearWindow">The smear's window, centred on the leap.</param>
public sealed record ClockSettings(
    ClockControl Control, double MaxOffset, double StepThreshold, double PanicThreshold, byte Stratum, ReferenceId ReferenceId,
    string? LeapFile, bool LeapSmear, TimeSpan LeapSmearWindow)
{
    /// <summary>The shortest smear window: one minute (a slope of 1/61, far beyond a clock's own error).</summary>
    public static readonly TimeSpan MinLeapSmearWindow = TimeSpan.FromMinutes(1);

    /// <summary>The longest smear window: one week.</summary>
    public static readonly TimeSpan MaxLeapSmearWindow = TimeSpan.FromDays(7);

    internal static ClockSettings From(ClockOptions o, SettingsErrors errors)
    {
        ClockControl control = errors.OneOf("Clock:Control", o.Control,
            ("none", ClockControl.None), ("kernel", ClockControl.Kernel), ("follow-kernel", ClockControl.FollowKernel));
        if (!(o.MaxOffset > 0)) errors.Add("Clock:MaxOffset", $"{o.MaxOffset} is not a positive number of seconds");
        if (!(o.StepThreshold >= 0)) errors.Add("Clock:StepThreshold", $"{o.StepThreshold} is negative");
        if (!(o.PanicThreshold > 0)) errors.Add("Clock:PanicThreshold", $"{o.PanicThreshold} is not positive");
        if (o.Stratum is < 1 or > 15) errors.Add("Clock:Stratum", $"{o.Stratum} is not 1 to 15");
        bool referenceIdOk = o.ReferenceId is { Length: > 0 and <= 4 } && !o.ReferenceId.Any(c => c is < ' ' or > '~');
        if (!referenceIdOk)
            errors.Add("Clock:ReferenceId", $"'{o.ReferenceId}' is not one to four printable ASCII characters");

        if (o.LeapFile is not null && Sync.LeapFile.Load(o.LeapFile, out _) is { } leapError) errors.Add("Clock:LeapFile", leapError);
        if (o.LeapSmear && o.LeapFile is null) errors.Add("Clock:LeapSmear", "needs Clock:LeapFile: the smear follows the file's leaps");
        if (o.LeapSmearWindow < MinLeapSmearWindow || o.LeapSmearWindow > MaxLeapSmearWindow)
            errors.Add("Clock:LeapSmearWindow", $"{o.LeapSmearWindow} is not between {MinLeapSmearWindow} and {MaxLeapSmearWindow}");

        return new ClockSettings(control, o.MaxOffset, o.StepThreshold, o.PanicThreshold, (byte)o.Stratum,
            referenceIdOk ? ReferenceId.FromAscii(o.ReferenceId) : default, o.LeapFile, o.LeapSmear, o.LeapSmearWindow);
    }
}
