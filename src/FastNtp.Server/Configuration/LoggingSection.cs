using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Configuration;

public sealed class LoggingOptions
{
    /// <summary>"Default" and one entry per category (a logger name or its prefix, such as FastNtp.Sync), as in ASP.NET's Logging section.</summary>
    public Dictionary<string, string> LogLevel { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <param name="Default">The least level logged by categories with no entry of their own.</param>
/// <param name="Categories">Per-category levels: the longest matching category prefix wins.</param>
public sealed record LoggingSettings(LogLevel Default, IReadOnlyDictionary<string, LogLevel> Categories)
{
    public const string DefaultCategory = "Default";

    public static LoggingSettings Defaults { get; } = new(LogLevel.Information, new Dictionary<string, LogLevel>());

    /// <summary>Sets the levels on a logging builder.</summary>
    public void ApplyTo(ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.SetMinimumLevel(Default);
        foreach ((string category, LogLevel level) in Categories) logging.AddFilter(category, level);
    }

    internal static LoggingSettings From(LoggingOptions o, SettingsErrors errors)
    {
        LogLevel defaultLevel = LogLevel.Information;
        var categories = new Dictionary<string, LogLevel>(StringComparer.Ordinal);
        foreach ((string category, string text) in o.LogLevel)
        {
            LogLevel level = errors.OneOf($"Logging:LogLevel:{category}", text,
                ("Trace", LogLevel.Trace), ("Debug", LogLevel.Debug), ("Information", LogLevel.Information), ("Warning", LogLevel.Warning),
                ("Error", LogLevel.Error), ("Critical", LogLevel.Critical), ("None", LogLevel.None));
            if (string.Equals(category, DefaultCategory, StringComparison.OrdinalIgnoreCase)) defaultLevel = level;
            else categories[category] = level;
        }

        return new LoggingSettings(defaultLevel, categories);
    }
}
