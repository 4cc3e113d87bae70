using System.Security.Cryptography;
using System.Text;

namespace FastNtp.Protocol.Leap;

/// <summary>Why a leap-second file was refused.</summary>
public enum LeapFileError
{
    None,
    /// <summary>A data line is not two whole numbers (NTP seconds, TAI−UTC) with an optional comment.</summary>
    MalformedLine,
    /// <summary>A <c>#@</c>, <c>#$</c> or <c>#h</c> line that cannot be read, or a second one.</summary>
    MalformedSpecialLine,
    /// <summary>No <c>#@</c> line: the file does not say until when it is valid.</summary>
    MissingExpiry,
    /// <summary>No <c>#h</c> line: the file's integrity cannot be checked (a truncated file ends this way).</summary>
    MissingHash,
    /// <summary>The SHA-1 of the data differs from the <c>#h</c> line: edited or damaged.</summary>
    HashMismatch,
    NoEntries,
    /// <summary>An entry's instant is not later than the one before it.</summary>
    OutOfOrder,
    /// <summary>Two entries for the same instant.</summary>
    DuplicateEntry,
    /// <summary>An entry after the first changes TAI−UTC by other than one second.</summary>
    OffsetStep,
}

/// <summary>The outcome of reading a leap-second file: the error and the 1-based line it was found on (0: the file as a whole).</summary>
public readonly record struct LeapFileResult(LeapFileError Error, int Line)
{
    public bool IsValid => Error == LeapFileError.None;

    public override string ToString() => Error switch
    {
        LeapFileError.None => "valid",
        LeapFileError.MalformedLine => $"line {Line}: not 'NTP-seconds TAI-offset'",
        LeapFileError.MalformedSpecialLine => $"line {Line}: unreadable or repeated #@, #$ or #h line",
        LeapFileError.MissingExpiry => "no #@ expiry line",
        LeapFileError.MissingHash => "no #h hash line (truncated?)",
        LeapFileError.HashMismatch => $"line {Line}: the SHA-1 of the data does not match the #h line",
        LeapFileError.NoEntries => "no leap-second entries",
        LeapFileError.OutOfOrder => $"line {Line}: entry earlier than the one before it",
        LeapFileError.DuplicateEntry => $"line {Line}: a second entry for the same instant",
        LeapFileError.OffsetStep => $"line {Line}: TAI-UTC changes by more than one second",
        _ => Error.ToString(),
    };
}

/// <summary>One line of the list: from <see cref="NtpSeconds"/> on (the first second after the leap), TAI − UTC is <see cref="TaiOffset"/>.</summary>
public readonly record struct LeapEntry(long NtpSeconds, int TaiOffset)
{
    public long UnixSeconds => NtpSeconds - Ntp.NtpTimestamp.UnixEpochOffsetSeconds;
}

/// <summary>
/// IANA's / the IERS's <c>leap-seconds.list</c>: entries of NTP seconds (since 1900) and TAI − UTC from then on,
/// the expiry (<c>#@</c>), the last update (<c>#$</c>) and a SHA-1 over the data (<c>#h</c>). The hash covers the
/// digits of the last-update line, the expiry line and every entry's two numbers, in file order, with all white
/// space and comments left out; it is written as five 32-bit words in hexadecimal.
/// </summary>
public sealed class LeapSecondList
{
    private const int HashWords = 5;
    private const int MaxDigits = 12;

    private LeapSecondList(IReadOnlyList<LeapEntry> entries, long expiresNtpSeconds, long? lastUpdateNtpSeconds)
    {
        Entries = entries;
        ExpiresNtpSeconds = expiresNtpSeconds;
        LastUpdateNtpSeconds = lastUpdateNtpSeconds;
    }

    /// <summary>In file order, each later than the one before, offsets changing by one second after the first.</summary>
    public IReadOnlyList<LeapEntry> Entries { get; }

    public long ExpiresNtpSeconds { get; }

    public long? LastUpdateNtpSeconds { get; }

    public long ExpiresUnixSeconds => ExpiresNtpSeconds - Ntp.NtpTimestamp.UnixEpochOffsetSeconds;

    /// <summary>Reads a whole file; never throws on any input.</summary>
    public static LeapFileResult TryParse(ReadOnlySpan<char> text, out LeapSecondList? list)
    {
        list = null;
        var entries = new List<LeapEntry>();
        long? expires = null, lastUpdate = null;
        Span<uint> expected = stackalloc uint[HashWords];
        int hashLine = 0;
        var hashed = new StringBuilder();

        int lineNumber = 0;
        while (!text.IsEmpty)
        {
            lineNumber++;
            int end = text.IndexOf('\n');
            ReadOnlySpan<char> line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];

            if (line.StartsWith("#@") || line.StartsWith("#$"))
            {
                ReadOnlySpan<char> value = line[2..].Trim();
                if (!TryReadNumber(value, out long seconds) || (line[1] == '@' ? expires : lastUpdate) is not null)
                    return new LeapFileResult(LeapFileError.MalformedSpecialLine, lineNumber);
                if (line[1] == '@') expires = seconds;
                else lastUpdate = seconds;
                AppendDigits(hashed, value);
            }
            else if (line.StartsWith("#h"))
            {
                if (hashLine != 0 || !TryReadHash(line[2..], expected)) return new LeapFileResult(LeapFileError.MalformedSpecialLine, lineNumber);
                hashLine = lineNumber;
            }
            else if (line.TrimStart().StartsWith('#') || line.IsWhiteSpace())
            {
                continue;
            }
            else
            {
                int comment = line.IndexOf('#');
                ReadOnlySpan<char> data = (comment < 0 ? line : line[..comment]).Trim();
                int gap = data.IndexOfAny(' ', '\t');
                if (gap < 0
                    || !TryReadNumber(data[..gap], out long seconds)
                    || !TryReadNumber(data[gap..].Trim(), out long offset)
                    || offset > int.MaxValue)
                {
                    return new LeapFileResult(LeapFileError.MalformedLine, lineNumber);
                }

                if (entries.Count > 0)
                {
                    LeapEntry previous = entries[^1];
                    if (seconds == previous.NtpSeconds) return new LeapFileResult(LeapFileError.DuplicateEntry, lineNumber);
                    if (seconds < previous.NtpSeconds) return new LeapFileResult(LeapFileError.OutOfOrder, lineNumber);
                    if (Math.Abs(offset - previous.TaiOffset) != 1) return new LeapFileResult(LeapFileError.OffsetStep, lineNumber);
                }

                entries.Add(new LeapEntry(seconds, (int)offset));
                AppendDigits(hashed, data);
            }
        }

        if (expires is null) return new LeapFileResult(LeapFileError.MissingExpiry, 0);
        if (hashLine == 0) return new LeapFileResult(LeapFileError.MissingHash, 0);
        if (entries.Count == 0) return new LeapFileResult(LeapFileError.NoEntries, 0);

        Span<byte> actual = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(hashed.ToString()), actual);
        for (int i = 0; i < HashWords; i++)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(actual[(i * 4)..]) != expected[i])
                return new LeapFileResult(LeapFileError.HashMismatch, hashLine);
        }

        list = new LeapSecondList(entries, expires.Value, lastUpdate);
        return new LeapFileResult(LeapFileError.None, 0);
    }

    /// <summary>TAI − UTC at <paramref name="unixSeconds"/>: the last entry at or before it, 0 before the first.</summary>
    public int TaiOffsetAt(long unixSeconds)
    {
        int offset = 0;
        foreach (LeapEntry entry in Entries)
        {
            if (entry.UnixSeconds > unixSeconds) break;
            offset = entry.TaiOffset;
        }

        return offset;
    }

    /// <summary>A whole decimal number of at most 12 digits (NTP seconds until the year 33 000).</summary>
    private static bool TryReadNumber(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > MaxDigits) return false;
        foreach (char c in digits)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }

        return true;
    }

    /// <summary>Five hexadecimal words separated by white space (writers drop a word's leading zeros).</summary>
    private static bool TryReadHash(ReadOnlySpan<char> text, Span<uint> words)
    {
        int count = 0;
        foreach (Range range in text.SplitAny(" \t\r"))
        {
            ReadOnlySpan<char> word = text[range];
            if (word.IsEmpty) continue;
            if (count == HashWords || word.Length > 8
                || !uint.TryParse(word, System.Globalization.NumberStyles.AllowHexSpecifier, null, out words[count]))
            {
                return false;
            }

            count++;
        }

        return count == HashWords;
    }

    private static void AppendDigits(StringBuilder hashed, ReadOnlySpan<char> data)
    {
        foreach (char c in data)
        {
            if (!char.IsWhiteSpace(c)) hashed.Append(c);
        }
    }
}
