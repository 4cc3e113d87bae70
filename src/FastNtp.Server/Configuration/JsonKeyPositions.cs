using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FastNtp.Server.Configuration;

/// <summary>
/// Where each key of a JSON configuration file is written (line and column, from 1), under the names the .NET
/// configuration gives them (Section:Key, list items Section:Key:N), so a problem with a value can point at it.
/// </summary>
internal static class JsonKeyPositions
{
    /// <summary>The same leniency as the JSON configuration provider: comments and trailing commas are allowed.</summary>
    public static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads every key's position; a syntax error comes back as one line with its position instead.</summary>
    public static bool TryRead(
        byte[] json, out Dictionary<string, (int Line, int Column)> positions, out (int Line, int Column, string Message)? syntaxError)
    {
        positions = new Dictionary<string, (int Line, int Column)>(StringComparer.OrdinalIgnoreCase);
        syntaxError = null;
        // A UTF-8 byte order mark is allowed (the configuration provider skips it); the reader would call it a syntax error.
        int start = json.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
        var reader = new Utf8JsonReader(json.AsSpan(start), ReaderOptions);
        var segments = new List<string>(); // the key of each open container below the root
        var counters = new List<int>(); // per open container: the next array index, or -1 for an object
        string? name = null;
        try
        {
            while (reader.Read())
            {
                JsonTokenType token = reader.TokenType;
                if (token == JsonTokenType.PropertyName)
                {
                    name = reader.GetString()!;
                    positions.TryAdd(Join(segments, name), Position(json, start, start + reader.TokenStartIndex));
                    continue;
                }

                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    counters.RemoveAt(counters.Count - 1);
                    if (counters.Count > 0) segments.RemoveAt(segments.Count - 1);
                    continue;
                }

                string? segment = null;
                if (counters.Count > 0 && counters[^1] >= 0)
                {
                    segment = (counters[^1]++).ToString(CultureInfo.InvariantCulture);
                    positions.TryAdd(Join(segments, segment), Position(json, start, start + reader.TokenStartIndex));
                }
                else if (counters.Count > 0)
                {
                    segment = name;
                }

                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    if (segment is not null) segments.Add(segment);
                    counters.Add(token == JsonTokenType.StartArray ? 0 : -1);
                }
            }
        }
        catch (JsonException e)
        {
            syntaxError = ((int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, WithoutPosition(e.Message));
            return false;
        }
        catch (InvalidOperationException)
        {
            // GetString's verdict on a key that is not UTF-8: the reader has stopped on that key.
            (int line, int column) = Position(json, start, start + reader.TokenStartIndex);
            syntaxError = (line, column, "a key is not valid UTF-8.");
            return false;
        }

        return true;
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static string Join(List<string> segments, string last) => segments.Count == 0 ? last : $"{string.Join(':', segments)}:{last}";

    /// <summary>Line and column (in characters) of a byte offset; columns of the first line count from after a byte order mark.</summary>
    private static (int Line, int Column) Position(byte[] json, int start, long offset)
    {
        int line = 1;
        int lineStart = start;
        for (int i = start; i < offset; i++)
        {
            if (json[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }

        return (line, Encoding.UTF8.GetCharCount(json, lineStart, (int)offset - lineStart) + 1);
    }

    /// <summary>System.Text.Json ends its messages with " LineNumber: 3 | BytePositionInLine: 7."; the caller says where.</summary>
    private static string WithoutPosition(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at < 0 ? message : message[..at]).TrimEnd();
    }
}
