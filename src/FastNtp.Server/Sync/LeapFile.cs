using FastNtp.Protocol.Leap;

namespace FastNtp.Server.Sync;

/// <summary>Reads a leap-seconds.list from disk: the one place start-up, check-config and reload read it.</summary>
public static class LeapFile
{
    /// <summary>Null and the list, or why the file cannot be used (missing, unreadable, invalid) in one line.</summary>
    public static string? Load(string path, out LeapSecondList? list)
    {
        list = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"cannot read {path}: {e.Message}";
        }

        LeapFileResult result = LeapSecondList.TryParse(text, out list);
        return result.IsValid ? null : $"{path}: {result}";
    }
}
