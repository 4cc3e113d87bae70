using System.CommandLine;
using System.Net;
using FastNtp.Server.Configuration;

namespace FastNtp.Commands;

/// <summary>
/// Which metrics listener `status` and `clients` ask: the one named, else the server configuration's
/// Metrics:Listen (--config, or the default file when it exists), else 127.0.0.1:9123.
/// </summary>
public static class MetricsTarget
{
    public const string Fallback = "127.0.0.1:9123";

    public static Option<string> ConfigOption() => new("--config")
    {
        HelpName = "FILE",
        Description = $"the server's configuration, for its Metrics:Listen; default {ConfigurationLoader.DefaultFile} when it exists",
    };

    /// <summary>The endpoint to ask; null with <paramref name="error"/> set when the configuration cannot be read.</summary>
    public static string? Resolve(string? named, string? configFile, out string? error)
    {
        error = null;
        if (named is not null) return named;
        string? file = ConfigurationLoader.ChooseFile(configFile);
        if (file is null) return Fallback;
        ConfigurationCheck check = ConfigurationLoader.Check(file, []);
        if (check.Settings is null)
        {
            error = check.Errors[0];
            return null;
        }

        if (check.Settings.Metrics.Listen is not { } listen) return Fallback;
        // A listener on every address is reached on loopback.
        IPAddress address = listen.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : listen.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : listen.Address;
        return new IPEndPoint(address, listen.Port).ToString();
    }
}
