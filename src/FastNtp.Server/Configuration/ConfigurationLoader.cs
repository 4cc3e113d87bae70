using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace FastNtp.Server.Configuration;

/// <summary>
/// Layers the configuration the usual .NET way: JSON file, then FASTNTP__SECTION__KEY environment variables,
/// then command-line options (highest). Binding or validation failures become one <see cref="ConfigurationException"/> line.
/// </summary>
public static partial class ConfigurationLoader
{
    public const string EnvironmentPrefix = "FASTNTP__";

    /// <param name="configFile">Optional JSON file; it must exist when named.</param>
    /// <param name="overrides">Configuration keys (Section:Key, list items as Section:Key:0) set by command-line options.</param>
    /// <param name="environment">Environment variables to read; null reads the process environment.</param>
    public static FastNtpOptions Load(
        string? configFile, IEnumerable<KeyValuePair<string, string?>> overrides, IDictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            string path = Path.GetFullPath(configFile);
            if (!File.Exists(path)) throw new ConfigurationException($"--config: file not found: {configFile}");
            builder.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        if (environment is null) builder.AddEnvironmentVariables(EnvironmentPrefix);
        else builder.AddInMemoryCollection(FromEnvironment(environment));
        builder.AddInMemoryCollection(overrides);

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationException($"--config: {configFile} is not valid JSON: {e.Message}");
        }

        var options = new FastNtpOptions();
        try
        {
            root.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(Describe(e));
        }

        OptionsValidator.Validate(options);
        return options;
    }

    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IDictionary<string, string?> environment)
    {
        foreach ((string key, string? value) in environment)
        {
            if (key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                yield return new(key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), value);
        }
    }

    /// <summary>The binder's messages name the key; keep that and the cause, drop the type names.</summary>
    private static string Describe(InvalidOperationException e)
    {
        string message = e.Message;
        Match unknown = UnknownKeys().Match(message);
        if (unknown.Success) return $"unknown configuration key(s): {unknown.Groups[1].Value}";

        Match conversion = FailedConversion().Match(message);
        if (conversion.Success)
            return $"{OptionNames.Describe(conversion.Groups[2].Value)}: invalid value '{conversion.Groups[1].Value}'";

        return message;
    }

    [GeneratedRegex(@"were not found on the instance of [\w.]+: (.+)$")]
    private static partial Regex UnknownKeys();

    [GeneratedRegex(@"configuration value '(.*)' at '([^']+)'")]
    private static partial Regex FailedConversion();
}

/// <summary>Maps configuration keys to the command-line option an operator would have typed, for error lines.</summary>
public static class OptionNames
{
    private static readonly Dictionary<string, string> CommandLineNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Server:Listen"] = "--listen",
        ["Server:Workers"] = "--workers",
        ["Server:LocalStratum"] = "--local-stratum",
        ["Sync:Upstream"] = "--upstream",
        ["Nts:KeListen"] = "--nts-ke-listen",
        ["Nts:Cert"] = "--cert",
        ["Nts:Key"] = "--key",
        ["Nts:KeyFile"] = "--nts-key-file",
        ["Metrics:Listen"] = "--metrics-listen",
        ["Server:Xdp:Interfaces"] = "--xdp",
    };

    public static string Describe(string key)
    {
        // List items bind as Section:Key:N; the option is the list's.
        string listKey = key.Contains(':', StringComparison.Ordinal) && int.TryParse(key[(key.LastIndexOf(':') + 1)..], out _)
            ? key[..key.LastIndexOf(':')]
            : key;
        return CommandLineNames.TryGetValue(listKey, out string? option) ? $"{option} ({key})" : key;
    }
}
