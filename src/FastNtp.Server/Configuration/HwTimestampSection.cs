namespace FastNtp.Server.Configuration;

public sealed class HwTimestampOptions
{
    public List<string> Interfaces { get; set; } = [];
}

/// <param name="Interfaces">
/// Network interfaces whose NIC stamps NTP packets in hardware (SIOCSHWTSTAMP), the stamps converted from the NIC's
/// PTP hardware clock to system time; empty leaves hardware timestamping off. Only the names are checked here: an
/// interface that is absent or cannot stamp at start gets a warning and software stamps, because the file may be
/// checked on another machine and hardware stamps refine the answer rather than make it.
/// </param>
public sealed record HwTimestampSettings(IReadOnlyList<string> Interfaces)
{
    internal static HwTimestampSettings From(HwTimestampOptions o, SettingsErrors errors)
    {
        foreach (string name in o.Interfaces)
        {
            if (!InterfaceName.IsValid(name)) errors.Add("Server:HwTimestamp:Interfaces", $"'{name}' is not a network interface name");
        }

        return new HwTimestampSettings(o.Interfaces.ToArray());
    }
}

/// <summary>What Linux accepts as an interface name.</summary>
internal static class InterfaceName
{
    /// <summary>1 to 15 characters (IFNAMSIZ is 16 with the terminating NUL), no '/', ':' or white space.</summary>
    public static bool IsValid(string name) => name.Length is > 0 and <= 15 && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c));
}
