namespace FastNtp.Server.Configuration;

/// <summary>Collects validation problems so that one run reports every bad value, each on its own line.</summary>
internal sealed class SettingsErrors
{
    private readonly List<string> _errors = [];

    /// <summary>Records a problem with <paramref name="key"/>, labelled with its command-line option where it has one.</summary>
    public void Add(string key, string problem) => _errors.Add($"{OptionTable.Label(key)}: {problem}");

    /// <summary>Records lines that already name their key (from validation outside this layer).</summary>
    public void AddLines(IEnumerable<string> lines) => _errors.AddRange(lines);

    /// <summary>Parses one of a fixed set of names (exact spelling); otherwise records a problem naming them and returns the first.</summary>
    public T OneOf<T>(string key, string value, params (string Name, T Value)[] names)
    {
        foreach ((string name, T parsed) in names)
        {
            if (string.Equals(name, value, StringComparison.Ordinal)) return parsed;
        }

        Add(key, $"'{value}' is not {string.Join(", ", names[..^1].Select(n => n.Name))} or {names[^1].Name}");
        return names[0].Value;
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0) throw new ConfigurationException([.. _errors]);
    }
}
