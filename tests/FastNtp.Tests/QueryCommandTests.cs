using FastNtp.Protocol.Ntp;
using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`fastntp query` against servers that answer wrongly: each gets a clear message and its own exit code.</summary>
public sealed class QueryCommandTests
{
    [Fact]
    public void Query_AcceptsAGoodReply()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r, stratum: 2)));
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("stratum 2 refid 127.0.0.1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_TimesOutWhenNobodyAnswers()
    {
        int port = Ports.FreeUdpPort();
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{port}", "--timeout", "0.5"]);
        Assert.Equal(3, exit);
        Assert.Contains($"no reply from 127.0.0.1:{port}", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n'), l => l.Contains("no reply", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("RATE")]
    [InlineData("DENY")]
    [InlineData("RSTR")]
    public void Query_ReportsAKissOfDeath(string code)
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r) with
        {
            Stratum = 0,
            Leap = LeapIndicator.Unsynchronized,
            ReferenceId = ReferenceId.FromAscii(code),
        }));
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]);
        Assert.Equal(4, exit);
        Assert.Contains($"kiss-o'-death: {code}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_RejectsAZeroTransmitTimestamp()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r) with { TransmitTime = NtpTimestamp.Zero }));
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("bogus timestamps", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_RejectsAnUnsynchronizedServer()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r) with { Leap = LeapIndicator.Unsynchronized }));
        Assert.Equal(5, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]).ExitCode);
    }

    [Fact]
    public void Query_RejectsRepliesWhoseOriginIsNotOurRequest()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r) with
        {
            OriginTime = new NtpTimestamp(r.TransmitTime.Value ^ 1),
        }));
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}", "--timeout", "0.5"]);
        Assert.Equal(5, exit);
        Assert.Contains("origin timestamp is not our request's", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_RejectsAReplyThatIsNotMode4()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r) with { Mode = NtpMode.Client }));
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("not a server reply", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_RejectsATruncatedReply()
    {
        using var server = new FakeNtpServer(r => FakeNtpServer.Encode(FakeNtpServer.GoodReply(r))[..40]);
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{server.Port}"]);
        Assert.Equal(5, exit);
        Assert.Contains("shorter than 48 bytes", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("[::1")]
    [InlineData("")]
    public void Query_RefusesABadTarget(string target)
    {
        (int exit, string output) = TestEnvironment.RunFastNtp(["query", target]);
        Assert.Equal(2, exit);
        Assert.Contains("is not HOST[:PORT]", output, StringComparison.Ordinal);
    }
}
