using FastNtp.Protocol.Client;

namespace FastNtp.Protocol.Tests.Sync;

public class UpstreamSourceTests
{
    private static readonly NtpTimestamp T0 = NtpTimestamp.FromDateTime(new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc));
    private static readonly NtpTimestamp Random1 = new(0x1122_3344_5566_7788);

    private static NtpTimestamp At(double seconds) => T0 + NtpDuration.FromSeconds(seconds);

    private static byte[] Reply(NtpTimestamp origin, double serverTime, Func<NtpHeader, NtpHeader>? edit = null)
    {
        var h = new NtpHeader
        {
            Version = 4,
            Mode = NtpMode.Server,
            Stratum = 1,
            Precision = -20,
            ReferenceId = ReferenceId.FromAscii("GPS"),
            ReferenceTime = At(serverTime - 10),
            OriginTime = origin,
            ReceiveTime = At(serverTime),
            TransmitTime = At(serverTime + 0.0001),
        };
        if (edit is not null) h = edit(h);
        byte[] bytes = new byte[NtpHeader.Length];
        h.Write(bytes);
        return bytes;
    }

    private static int Send(UpstreamSource s, double at, NtpTimestamp transmit) => s.WriteRequest(At(at), transmit, new byte[48]);

    [Fact]
    public void Request_CarriesTheRandomTransmitTimestampAndMode3()
    {
        var s = new UpstreamSource(6, 10);
        byte[] buffer = new byte[48];
        Assert.Equal(48, s.WriteRequest(At(0), Random1, buffer));
        Assert.True(NtpHeader.TryRead(buffer, out NtpHeader h));
        Assert.Equal(NtpMode.Client, h.Mode);
        Assert.Equal(Random1, h.TransmitTime);
        Assert.Equal(NtpTimestamp.Zero, h.OriginTime);
        Assert.Equal(NtpTimestamp.Zero, h.ReceiveTime);
    }

    [Fact]
    public void Answer_FillsReachAndTheFilter()
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        Assert.Equal(ReplyOutcome.NewEstimate, s.HandleReply(Reply(Random1, 0.015), At(0.020), 1e-6));
        Assert.Equal(1, s.Reach);
        Assert.Equal(1, s.Stratum);
        // T1 0, T2 0.015, T3 0.0151, T4 0.020: offset 5.05 ms, delay 19.9 ms.
        Assert.Equal(0.00505, s.Filter.Offset, 6);
        Assert.Equal(0.0199, s.Filter.Delay, 6);
        Assert.True(s.IsFit(At(1)));
        // A second copy of the same reply is a duplicate.
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(Reply(Random1, 0.015), At(0.021), 1e-6));
    }

    [Fact]
    public void HostileReplies_AreIgnoredAndTheRequestStaysOutstanding()
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        byte[] good = Reply(Random1, 0.01);
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(good.AsSpan(0, 47), At(0.02), 1e-6));
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply([], At(0.02), 1e-6));
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(Reply(new NtpTimestamp(Random1.Value ^ 1), 0.01), At(0.02), 1e-6));
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(Reply(Random1, 0.01, h => h with { Mode = NtpMode.Client }), At(0.02), 1e-6));
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(Reply(Random1, 0.01, h => h with { Mode = NtpMode.Broadcast }), At(0.02), 1e-6));
        Assert.Equal(0, s.Reach);
        Assert.Equal(ReplyOutcome.NewEstimate, s.HandleReply(good, At(0.02), 1e-6));
    }

    [Theory]
    [InlineData("zero-transmit")]
    [InlineData("zero-receive")]
    [InlineData("leap-alarm")]
    [InlineData("stratum-16")]
    [InlineData("unknown-kiss")]
    public void AnswersWithoutUsableTime_AreNotSamples(string kind)
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        byte[] reply = Reply(Random1, 0.01, h => kind switch
        {
            "zero-transmit" => h with { TransmitTime = NtpTimestamp.Zero },
            "zero-receive" => h with { ReceiveTime = NtpTimestamp.Zero },
            "leap-alarm" => h with { Leap = LeapIndicator.Unsynchronized },
            "stratum-16" => h with { Stratum = 16 },
            _ => h with { Stratum = 0, ReferenceId = ReferenceId.FromAscii("ABCD") },
        });
        Assert.Equal(ReplyOutcome.Unusable, s.HandleReply(reply, At(0.02), 1e-6));
        Assert.Equal(0, s.Reach);
        Assert.False(s.Filter.HasEstimate);
        Assert.False(s.IsDenied);
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var rng = new Random(9);
        var s = new UpstreamSource(6, 10);
        byte[] packet = new byte[68];
        for (int i = 0; i < 5000; i++)
        {
            if (i % 50 == 0) Send(s, i, new NtpTimestamp((ulong)rng.NextInt64()));
            rng.NextBytes(packet);
            s.HandleReply(packet.AsSpan(0, rng.Next(packet.Length + 1)), At(i + 0.01), 1e-6);
        }

        Assert.False(s.IsDenied);
    }

    [Fact]
    public void Polling_BurstsAtStartThenPollsAtMinpoll()
    {
        var s = new UpstreamSource(6, 10);
        Assert.True(s.IsDue(At(0)));
        double t = 0;
        for (int i = 0; i < UpstreamSource.BurstCount; i++)
        {
            var transmit = new NtpTimestamp((ulong)(i + 1));
            s.WriteRequest(At(t), transmit, new byte[48]);
            s.HandleReply(Reply(transmit, t + 0.01), At(t + 0.02), 1e-6);
            double gap = (s.NextPollAt - At(t)).TotalSeconds;
            Assert.Equal(i < UpstreamSource.BurstCount - 1 ? 2 : 2, Math.Round(gap), 0);
            t += gap;
        }

        var last = new NtpTimestamp(99);
        s.WriteRequest(At(t), last, new byte[48]);
        Assert.Equal(64, Math.Round((s.NextPollAt - At(t)).TotalSeconds));
        Assert.False(s.IsDue(At(t + 63)));
        Assert.True(s.IsDue(At(t + 64)));
    }

    [Fact]
    public void UnansweredPolls_BackOffAndEmptyTheReachRegister()
    {
        var s = new UpstreamSource(4, 8, burst: false);
        Send(s, 0, Random1);
        s.HandleReply(Reply(Random1, 0.01), At(0.02), 1e-6);
        Assert.Equal(4, s.Poll);
        double t = 16;
        for (int i = 0; i < 8; i++)
        {
            Send(s, t, new NtpTimestamp((ulong)(100 + i)));
            t += s.PollSeconds;
        }

        Assert.Equal(0, s.Reach);
        Assert.Equal(8, s.Poll);
        Assert.False(s.IsFit(At(t)));
        // The eighth request is still outstanding; seven are known unanswered.
        Assert.Equal(7, s.Unanswered);
    }

    [Fact]
    public void KissRate_SlowsPolling()
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        Assert.Equal(ReplyOutcome.RateLimited,
            s.HandleReply(Reply(Random1, 0.01, h => h with { Stratum = 0, ReferenceId = ReferenceId.Rate, Poll = 9 }), At(0.02), 1e-6));
        Assert.Equal(9, s.Poll);
        Assert.False(s.IsDue(At(511)));
        Assert.True(s.IsDue(At(512)));
        Assert.False(s.IsDenied);
    }

    [Theory]
    [InlineData("DENY")]
    [InlineData("RSTR")]
    public void KissDenyAndRestricted_DropTheSource(string code)
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        Assert.Equal(ReplyOutcome.Denied,
            s.HandleReply(Reply(Random1, 0.01, h => h with { Stratum = 0, ReferenceId = ReferenceId.FromAscii(code) }), At(0.02), 1e-6));
        Assert.True(s.IsDenied);
        Assert.False(s.IsDue(At(100000)));
        Assert.Throws<InvalidOperationException>(() => Send(s, 100000, Random1));
    }

    [Fact]
    public void KissWithAForgedOrigin_IsIgnored()
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        byte[] forged = Reply(new NtpTimestamp(5), 0.01, h => h with { Stratum = 0, ReferenceId = ReferenceId.Deny });
        Assert.Equal(ReplyOutcome.Ignored, s.HandleReply(forged, At(0.02), 1e-6));
        Assert.False(s.IsDenied);
        Assert.Equal(ReplyError.OriginMismatch, s.LastError);
    }

    [Fact]
    public void NtsNak_IsReported()
    {
        var s = new UpstreamSource(6, 10);
        Send(s, 0, Random1);
        Assert.Equal(ReplyOutcome.NtsNak,
            s.HandleReply(Reply(Random1, 0.01, h => h with { Stratum = 0, ReferenceId = ReferenceId.NtsNak }), At(0.02), 1e-6));
    }
}
