using System.Text.RegularExpressions;

namespace FastNtp.Server.Configuration;

/// <summary>One configuration problem: the key it is about (when one is) and the line an operator reads.</summary>
/// <param name="Key">Section:Key (list items Section:Key:N) the problem is about, or null.</param>
/// <param name="Message">The line, starting with the option or key it names.</param>
public sealed record ConfigurationProblem(string? Key, string Message);

/// <summary>Collects validation problems so that one run reports every bad value, each on its own line.</summary>
internal sealed partial class SettingsErrors
{
    private readonly List<ConfigurationProblem> _problems = [];

    public IReadOnlyList<ConfigurationProblem> Problems => _problems;

    /// <summary>Records a problem with <paramref name="key"/>, labelled with its command-line option where it has one.</summary>
    public void Add(string key, string problem) => _problems.Add(new(key, $"{OptionTable.Label(key)}: {problem}"));

    /// <summary>Records a line about <paramref name="key"/> that is already worded.</summary>
    public void AddLine(string key, string line) => _problems.Add(new(key, line));

    /// <summary>Records lines that already name their key ("Access:Allow[2]: ...", from validation outside this layer).</summary>
    public void AddLines(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            Match key = LeadingKey().Match(line);
            string? name = !key.Success ? null
                : key.Groups[2].Success ? $"{key.Groups[1].Value}:{key.Groups[2].Value}" : key.Groups[1].Value;
            _problems.Add(new(name, line));
        }
    }

    /// <summary>Parses one of a fixed set of names (any case, as keys are); otherwise records a problem naming them and returns the first.</summary>
    public T OneOf<T>(string key, string value, params (string Name, T Value)[] names)
    {
        foreach ((string name, T parsed) in names)
        {
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase)) return parsed;
        }

        Add(key, $"'{value}' is not {string.Join(", ", names[..^1].Select(n => n.Name))} or {names[^1].Name}");
        return names[0].Value;
    }

    public void ThrowIfAny()
    {
        if (_problems.Count > 0) throw new ConfigurationException([.. _problems.Select(p => p.Message)]);
    }

    [GeneratedRegex(@"^([A-Za-z]+(?::[A-Za-z]+)+)(?:\[(\d+)\])?: ")]
    private static partial Regex LeadingKey();
}
