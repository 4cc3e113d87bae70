using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace FastNtp.Server.Configuration;

/// <summary>Every problem of one configuration, or the settings when there is none.</summary>
/// <param name="Settings">The validated settings; null when <paramref name="Errors"/> is not empty.</param>
/// <param name="Errors">One line per problem, each with where the value came from: FILE:LINE:COLUMN, an environment variable, or an option.</param>
/// <param name="Values">Every key set, all layers together, as Section:Key (list items Section:Key:N); empty when there are errors.</param>
public sealed record ConfigurationCheck(FastNtpSettings? Settings, IReadOnlyList<string> Errors, IReadOnlyDictionary<string, string?> Values)
{
    /// <summary>The keys whose values differ between two configurations (set in one only included), in order.</summary>
    public static IReadOnlyList<string> ChangedKeys(IReadOnlyDictionary<string, string?> running, IReadOnlyDictionary<string, string?> fresh)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(fresh);
        return [.. running.Keys.Union(fresh.Keys, StringComparer.OrdinalIgnoreCase)
            .Where(k => running.GetValueOrDefault(k) != fresh.GetValueOrDefault(k))
            .Order(StringComparer.Ordinal)];
    }
}

/// <summary>
/// Layers the configuration the usual .NET way: JSON file, then FASTNTP__SECTION__KEY environment variables,
/// then command-line options (highest), and validates the result once into <see cref="FastNtpSettings"/>.
/// Every problem is found in one pass (JSON syntax, unknown keys, values that do not convert, values out of
/// range), each reported with where it was written.
/// </summary>
public static partial class ConfigurationLoader
{
    public const string EnvironmentPrefix = "FASTNTP__";

    private static readonly Dictionary<string, string?> Empty = [];

    /// <summary>Where the packages install the configuration; read when it exists and no other file is named.</summary>
    public const string DefaultFile = "/etc/fastntp/fastntp.json";

    /// <summary>The file to read: the one named, else <paramref name="defaultFile"/> when it exists, else none.</summary>
    public static string? ChooseFile(string? named, string defaultFile = DefaultFile) =>
        named ?? (File.Exists(defaultFile) ? defaultFile : null);

    /// <summary>Loads and validates; throws <see cref="ConfigurationException"/> with every problem.</summary>
    /// <param name="configFile">Optional JSON file; it must exist when named.</param>
    /// <param name="overrides">Configuration keys (Section:Key, list items as Section:Key:0) set by command-line options.</param>
    /// <param name="environment">
    /// Environment variables to read (FASTNTP__* and systemd's CREDENTIALS_DIRECTORY); null reads the process environment.
    /// </param>
    public static FastNtpSettings Load(
        string? configFile, IEnumerable<KeyValuePair<string, string?>> overrides, IDictionary<string, string?>? environment = null)
    {
        ConfigurationCheck check = Check(configFile, overrides, environment);
        if (check.Errors.Count > 0) throw new ConfigurationException(check.Errors);
        return check.Settings!;
    }

    /// <summary>Loads and validates, returning every problem instead of throwing (`fastntp check-config`).</summary>
    public static ConfigurationCheck Check(
        string? configFile, IEnumerable<KeyValuePair<string, string?>> overrides, IDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        environment ??= ProcessEnvironment();
        var builder = new ConfigurationBuilder();
        var positions = new Dictionary<string, (int Line, int Column)>();
        if (configFile is not null)
        {
            string path = Path.GetFullPath(configFile);
            if (!File.Exists(path)) return Failed($"--config: file not found: {configFile}");
            byte[] json;
            try
            {
                json = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Failed($"--config: {e.Message}");
            }

            if (!JsonKeyPositions.TryRead(json, out positions, out (int Line, int Column, string Message)? syntax))
                return Failed($"{configFile}:{syntax!.Value.Line}:{syntax.Value.Column}: not valid JSON: {syntax.Value.Message}");
            builder.AddJsonStream(new MemoryStream(json));
        }

        Dictionary<string, string> variables = FromEnvironment(environment, out List<KeyValuePair<string, string?>> environmentValues);
        List<KeyValuePair<string, string?>> options = [.. overrides];
        builder.AddInMemoryCollection(environmentValues);
        builder.AddInMemoryCollection(options);

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            return Failed($"--config: {configFile} is not a configuration: {e.Message}");
        }

        // Each key alone first, so that one bad key hides no other; then the good ones together through validation.
        var problems = new SettingsErrors();
        var usable = new List<KeyValuePair<string, string?>>();
        foreach ((string key, string? value) in Leaves(root))
        {
            if (Unknown(key) is { } unknown) problems.Add(key, unknown);
            else if (ConversionProblem(key, value) is { } bad) problems.AddLine(key, bad);
            else usable.Add(new(key, value));
        }

        var bound = new FastNtpOptions();
        new ConfigurationBuilder().AddInMemoryCollection(usable).Build().Bind(bound);
        var settings = FastNtpSettings.From(bound, problems);
        if (problems.Problems.Count > 0)
        {
            var sources = new Sources(configFile, positions, variables, options);
            return new ConfigurationCheck(null, [.. problems.Problems.Select(sources.Locate)], Empty);
        }

        string? credentials = environment.TryGetValue(Credentials.DirectoryVariable, out string? directory) ? directory : null;
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in usable) values[key] = value;
        return new ConfigurationCheck(settings with { Nts = settings.Nts.WithCredentials(credentials) }, [], values);

        static ConfigurationCheck Failed(string line) => new(null, [line], Empty);
    }

    private static Dictionary<string, string?> ProcessEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) environment[(string)entry.Key] = (string?)entry.Value;
        return environment;
    }

    /// <summary>FASTNTP__SECTION__KEY as Section:Key values, and which variable set each key.</summary>
    private static Dictionary<string, string> FromEnvironment(
        IDictionary<string, string?> environment, out List<KeyValuePair<string, string?>> values)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        values = [];
        foreach ((string name, string? value) in environment)
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            string key = OptionTable.Spelling(name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal));
            values.Add(new(key, value));
            variables[key] = name;
        }

        return variables;
    }

    /// <summary>Keys that hold a value (or an empty list or section): the ones a file, a variable or an option wrote.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> Leaves(IConfiguration configuration)
    {
        foreach (IConfigurationSection section in configuration.GetChildren())
        {
            bool any = false;
            foreach (KeyValuePair<string, string?> leaf in Leaves(section))
            {
                any = true;
                yield return leaf;
            }

            if (!any) yield return new(section.Path, section.Value);
        }
    }

    /// <summary>Why <paramref name="key"/> is not a key FastNtp reads, naming its section; null when it is one.</summary>
    private static string? Unknown(string key)
    {
        if (OptionTable.IsKnown(key)) return null;
        int last = key.LastIndexOf(':');
        string section = last < 0 ? "" : key[..last];
        IReadOnlyList<string> keys = OptionTable.KeysOf(section);
        if (keys.Count > 0) return $"unknown key in section {section} (its keys: {string.Join(", ", keys)})";
        return last < 0 || OptionTable.KeysOf(key[..key.IndexOf(':')]).Count == 0
            ? $"unknown section {key.Split(':')[0]} (sections: {string.Join(", ", OptionTable.KeysOf(""))})"
            : $"unknown section {section}";
    }

    /// <summary>Binds one key alone: a value the binder cannot convert (a word for a number, say) names itself.</summary>
    private static string? ConversionProblem(string key, string? value)
    {
        IConfigurationRoot alone = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        try
        {
            alone.Bind(new FastNtpOptions());
            return null;
        }
        catch (InvalidOperationException e)
        {
            Match conversion = FailedConversion().Match(e.Message);
            return conversion.Success
                ? $"{OptionTable.Describe(conversion.Groups[2].Value)}: invalid value '{conversion.Groups[1].Value}'"
                : $"{OptionTable.Describe(key)}: {e.Message}";
        }
    }

    [GeneratedRegex(@"configuration value '(.*)' at '([^']+)'")]
    private static partial Regex FailedConversion();

    /// <summary>Which layer set a key: an option (highest), an environment variable, or the file at a line and column.</summary>
    private sealed class Sources(
        string? file, Dictionary<string, (int Line, int Column)> positions, Dictionary<string, string> variables,
        List<KeyValuePair<string, string?>> options)
    {
        public string Locate(ConfigurationProblem problem)
        {
            if (problem.Key is not { } key || options.Exists(o => Covers(key, o.Key))) return problem.Message;
            foreach ((string setKey, string variable) in variables)
            {
                if (Covers(key, setKey)) return $"{problem.Message} (from the environment: {variable})";
            }

            if (file is not null && (positions.TryGetValue(key, out (int Line, int Column) at) || positions.TryGetValue($"{key}:0", out at)))
                return $"{file}:{at.Line}:{at.Column}: {problem.Message}";
            return problem.Message;
        }

        /// <summary>A problem with a list (Server:Listen) is about each of its items (Server:Listen:0).</summary>
        private static bool Covers(string problemKey, string setKey) =>
            string.Equals(problemKey, setKey, StringComparison.OrdinalIgnoreCase) ||
            setKey.StartsWith(problemKey + ":", StringComparison.OrdinalIgnoreCase);
    }
}
