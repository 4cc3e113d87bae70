using System.Security.Cryptography;
using System.Text;

namespace FastNtp.Tests.Shared;

/// <summary>
/// Debian tzdata's leap-seconds.list copied into a temp dir of the test's own, and variants made from it at test
/// time: re-signed (a fresh #h line) when the test wants a valid file with other dates or entries, left unsigned
/// when it wants a damaged one. Dispose removes the directory.
/// </summary>
public sealed class LeapSecondFiles : IDisposable
{
    public const string TzdataPath = "/usr/share/zoneinfo/leap-seconds.list";

    /// <summary>The last entry in every leap-seconds.list since 2016: TAI − UTC is 37 s from 1 January 2017.</summary>
    public const long LastLeapNtpSeconds = 3_692_217_600;

    public LeapSecondFiles()
    {
        if (!File.Exists(TzdataPath)) throw new InvalidOperationException($"{TzdataPath} is missing: apt-get install tzdata");
        Directory = System.IO.Directory.CreateTempSubdirectory("fastntp-leap-").FullName;
        Original = Path.Combine(Directory, "leap-seconds.list");
        File.Copy(TzdataPath, Original);
        OriginalText = File.ReadAllText(Original);
    }

    public string Directory { get; }

    /// <summary>The copy of tzdata's file.</summary>
    public string Original { get; }

    public string OriginalText { get; }

    public string Write(string name, string text)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The original with another expiry (NTP seconds), re-signed.</summary>
    public string WithExpiry(long expiresNtpSeconds) => Resign(ReplaceSpecial(OriginalText, "#@", expiresNtpSeconds.ToString()));

    /// <summary>The original with one more entry after its last, and an expiry after that, re-signed.</summary>
    public string WithNextLeap(long ntpSeconds, int taiOffset, long expiresNtpSeconds)
    {
        string text = ReplaceSpecial(OriginalText, "#@", expiresNtpSeconds.ToString());
        int last = text.IndexOf(LastLeapNtpSeconds.ToString(), StringComparison.Ordinal);
        int endOfLine = text.IndexOf('\n', last) + 1;
        return Resign(text.Insert(endOfLine, $"{ntpSeconds}\t{taiOffset}\t# a test leap\n"));
    }

    /// <summary>Replaces the #h line with the SHA-1 of the data as the file's format describes it.</summary>
    public static string Resign(string text)
    {
        var data = new StringBuilder();
        foreach (string line in text.Split('\n'))
        {
            string hashed = line.StartsWith("#$") || line.StartsWith("#@") ? line[2..]
                : line.StartsWith('#') ? ""
                : line.Split('#')[0];
            foreach (char c in hashed)
            {
                if (!char.IsWhiteSpace(c)) data.Append(c);
            }
        }

        byte[] hash = SHA1.HashData(Encoding.ASCII.GetBytes(data.ToString()));
        string words = string.Join(' ', Enumerable.Range(0, 5).Select(i => Convert.ToHexStringLower(hash, i * 4, 4)));
        return ReplaceSpecial(text, "#h", words);
    }

    private static string ReplaceSpecial(string text, string marker, string value)
    {
        int start = text.IndexOf("\n" + marker, StringComparison.Ordinal) + 1;
        if (start == 0) throw new ArgumentException($"no {marker} line", nameof(text));
        int end = text.IndexOf('\n', start);
        return string.Concat(text.AsSpan(0, start), marker + "\t" + value, end < 0 ? "" : text.AsSpan(end));
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
