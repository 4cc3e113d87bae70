using System.Text.RegularExpressions;

namespace FastNtp.Commands;

/// <summary>System.CommandLine's parse errors in the words the configuration layer uses for the same mistakes.</summary>
public static partial class CommandLineErrors
{
    /// <summary>"Cannot parse argument 'x' for option '--count' as expected type 'System.Int32'." reads "--count: 'x' is not a whole number".</summary>
    public static string Describe(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Match typed = TypedValue().Match(message);
        if (!typed.Success) return message;
        string expected = typed.Groups[3].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" => "a number",
            _ => "a valid value",
        };
        return $"{typed.Groups[2].Value}: '{typed.Groups[1].Value}' is not {expected}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for (?:option|argument) '(.*)' as expected type '(.*)'\.$")]
    private static partial Regex TypedValue();
}
