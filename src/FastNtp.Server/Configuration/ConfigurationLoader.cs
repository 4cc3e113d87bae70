using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace FastNtp.Server.Configuration;

/// <summary>
/// Layers the configuration the usual .NET way: JSON file, then FASTNTP__SECTION__KEY environment variables,
/// then command-line options (highest), and validates the result once into <see cref="FastNtpSettings"/>.
/// Binding and validation failures become <see cref="ConfigurationException"/> lines naming the option.
/// </summary>
public static partial class ConfigurationLoader
{
    public const string EnvironmentPrefix = "FASTNTP__";

    /// <param name="configFile">Optional JSON file; it must exist when named.</param>
    /// <param name="overrides">Configuration keys (Section:Key, list items as Section:Key:0) set by command-line options.</param>
    /// <param name="environment">Environment variables to read; null reads the process environment.</param>
    public static FastNtpSettings Load(
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

        return FastNtpSettings.From(options);
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
            return $"{OptionTable.Describe(conversion.Groups[2].Value)}: invalid value '{conversion.Groups[1].Value}'";

        return message;
    }

    [GeneratedRegex(@"were not found on the instance of [\w.]+: (.+)$")]
    private static partial Regex UnknownKeys();

    [GeneratedRegex(@"configuration value '(.*)' at '([^']+)'")]
    private static partial Regex FailedConversion();
}
