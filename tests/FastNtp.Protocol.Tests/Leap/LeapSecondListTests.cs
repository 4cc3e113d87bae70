using FastNtp.Protocol.Leap;
using FastNtp.Tests.Shared;

namespace FastNtp.Protocol.Tests.Leap;

public sealed class LeapSecondListTests : IDisposable
{
    private readonly LeapSecondFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static LeapFileResult Parse(string text, out LeapSecondList? list) => LeapSecondList.TryParse(text, out list);

    [Fact]
    public void TzdataFile_ParsesWithItsHash()
    {
        LeapFileResult result = Parse(File.ReadAllText(_files.Original), out LeapSecondList? list);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(new LeapEntry(2_272_060_800, 10), list!.Entries[0]);
        Assert.Equal(new LeapEntry(LeapSecondFiles.LastLeapNtpSeconds, 37), list.Entries[^1]);
        Assert.Equal(28, list.Entries.Count);
        Assert.True(list.LastUpdateNtpSeconds < list.ExpiresNtpSeconds);
    }

    [Fact]
    public void TaiOffset_IsTheLastEntryAtOrBeforeTheInstant()
    {
        Parse(_files.OriginalText, out LeapSecondList? list);
        long leap2017 = LeapSecondFiles.LastLeapNtpSeconds - NtpTimestamp.UnixEpochOffsetSeconds;

        Assert.Equal(36, list!.TaiOffsetAt(leap2017 - 1));
        Assert.Equal(37, list.TaiOffsetAt(leap2017));
        Assert.Equal(0, list.TaiOffsetAt(0));
    }

    [Fact]
    public void ResignedVariant_Parses()
    {
        LeapFileResult result = Parse(_files.WithNextLeap(4_000_000_000, 38, 4_010_000_000), out LeapSecondList? list);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(new LeapEntry(4_000_000_000, 38), list!.Entries[^1]);
        Assert.Equal(4_010_000_000, list.ExpiresNtpSeconds);
    }

    [Fact]
    public void ChangedExpiryWithoutNewHash_IsAHashMismatchOnTheHashLine()
    {
        string text = _files.OriginalText.Replace("#@\t", "#@\t1", StringComparison.Ordinal);
        int hashLine = Array.FindIndex(text.Split('\n'), l => l.StartsWith("#h")) + 1;

        LeapFileResult result = Parse(text, out LeapSecondList? list);

        Assert.Equal(new LeapFileResult(LeapFileError.HashMismatch, hashLine), result);
        Assert.Null(list);
    }

    [Fact]
    public void ChangedOffset_IsAHashMismatch()
    {
        string text = _files.OriginalText.Replace("3692217600      37", "3692217600      36", StringComparison.Ordinal);
        Assert.NotEqual(_files.OriginalText, text);

        // 36 after 36 is also an offset step of zero: the step check sees it first.
        Assert.Equal(LeapFileError.OffsetStep, Parse(text, out _).Error);
    }

    [Fact]
    public void EditedComment_KeepsTheHashValid()
    {
        string text = _files.OriginalText.Replace("# 1 Jan 2017", "# new year 2017", StringComparison.Ordinal);

        Assert.True(Parse(text, out _).IsValid);
    }

    [Theory]
    [InlineData("2871676800", LeapFileError.MissingHash)]
    [InlineData("#@", LeapFileError.MissingExpiry)]
    [InlineData("#", LeapFileError.MissingExpiry)]
    public void TruncatedFile_IsRefused(string cutAt, LeapFileError expected)
    {
        string text = _files.OriginalText[.._files.OriginalText.IndexOf(cutAt, StringComparison.Ordinal)];

        Assert.Equal(expected, Parse(text, out _).Error);
    }

    [Fact]
    public void FileCutBeforeItsLastLine_IsMissingItsHash()
    {
        string text = _files.OriginalText[.._files.OriginalText.LastIndexOf("#h", StringComparison.Ordinal)];

        Assert.Equal(new LeapFileResult(LeapFileError.MissingHash, 0), Parse(text, out _));
    }

    [Fact]
    public void DuplicateEntry_IsRefusedAtItsLine()
    {
        string line = "3692217600      37      # 1 Jan 2017\n";
        string text = LeapSecondFiles.Resign(_files.OriginalText.Replace(line, line + line, StringComparison.Ordinal));

        LeapFileResult result = Parse(text, out _);

        Assert.Equal(LeapFileError.DuplicateEntry, result.Error);
        Assert.Equal(LineOf(text, line) + 1, result.Line);
    }

    [Fact]
    public void OutOfOrderEntries_AreRefusedAtTheLaterLine()
    {
        // The offsets still step by one; the instants go back.
        string a = "3644697600      36      # 1 Jul 2015\n", b = "3692217600      37      # 1 Jan 2017\n";
        string swappedA = "3692217600      36\n", swappedB = "3644697600      37\n";
        string text = LeapSecondFiles.Resign(_files.OriginalText.Replace(a + b, swappedA + swappedB, StringComparison.Ordinal));

        LeapFileResult result = Parse(text, out _);

        Assert.Equal(LeapFileError.OutOfOrder, result.Error);
        Assert.Equal(LineOf(text, swappedB), result.Line);
    }

    [Theory]
    [InlineData("3692217600 x37")]
    [InlineData("3692217600")]
    [InlineData("-3692217600 37")]
    [InlineData("36922176000000000 37")]
    [InlineData("3692217600 37 38")]
    public void MalformedDataLine_IsRefusedAtItsLine(string bad)
    {
        string text = _files.OriginalText.Replace("3692217600      37      # 1 Jan 2017", bad, StringComparison.Ordinal);

        LeapFileResult result = Parse(text, out _);

        Assert.Equal(LeapFileError.MalformedLine, result.Error);
        Assert.Equal(LineOf(text, bad + "\n"), result.Line);
    }

    [Theory]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4")]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e 1")]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49g")]
    [InlineData("#@\t\n#@\t3991593600")]
    public void MalformedSpecialLine_IsRefused(string bad)
    {
        string hash = _files.OriginalText.Split('\n').Single(l => l.StartsWith("#h"));

        Assert.Equal(LeapFileError.MalformedSpecialLine, Parse(_files.OriginalText.Replace(hash, bad, StringComparison.Ordinal), out _).Error);
    }

    [Fact]
    public void HashWordsWithoutLeadingZeros_Match()
    {
        // Some writers print each word with %x: a word below 0x10000000 loses its leading zeros.
        string text = ResignedWithAShortHashWord();

        Assert.True(Parse(text, out _).IsValid);
    }

    [Fact]
    public void WindowsLineEnds_Parse() =>
        Assert.True(Parse(_files.OriginalText.Replace("\n", "\r\n", StringComparison.Ordinal), out _).IsValid);

    [Theory]
    [InlineData("")]
    [InlineData("\0\0\0")]
    [InlineData("#@ 1\n#h 1 2 3 4 5\n")]
    public void DegenerateInput_IsRefusedWithoutThrowing(string text)
    {
        Assert.False(Parse(text, out LeapSecondList? list).IsValid);
        Assert.Null(list);
    }

    private static int LineOf(string text, string line) => text[..text.IndexOf(line, StringComparison.Ordinal)].Count(c => c == '\n') + 1;

    /// <summary>Finds an expiry whose signature has a word with leading zeros and writes that word without them.</summary>
    private string ResignedWithAShortHashWord()
    {
        for (long expiry = 3_991_593_600; ; expiry++)
        {
            string signed = _files.WithExpiry(expiry);
            string hash = signed.Split('\n').Single(l => l.StartsWith("#h"));
            string[] words = hash[2..].Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
            int zeroLed = Array.FindIndex(words, w => w.StartsWith('0'));
            if (zeroLed < 0) continue;
            words[zeroLed] = words[zeroLed].TrimStart('0');
            return signed.Replace(hash, "#h\t" + string.Join(' ', words), StringComparison.Ordinal);
        }
    }
}
