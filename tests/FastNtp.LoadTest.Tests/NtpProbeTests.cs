using System.Buffers.Binary;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest.Tests;

public class NtpProbeTests
{
    private const long Now = 1_795_000_000_000_000_000; // 2026-11-18, Unix nanoseconds
    private const long Skew = 10_000_000_000;

    private static NtpHeader GoodReply(ulong origin) => new()
    {
        Leap = LeapIndicator.NoWarning,
        Version = 4,
        Mode = NtpMode.Server,
        Stratum = 1,
        Precision = -20,
        ReferenceId = new ReferenceId(0x4C4F434C),
        OriginTime = new NtpTimestamp(origin),
        ReceiveTime = NtpTimestamp.FromUnixNanoseconds(Now),
        TransmitTime = NtpTimestamp.FromUnixNanoseconds(Now + 5_000),
    };

    private static ReplyVerdict Verify(NtpHeader header, out ulong origin, int length = NtpHeader.Length)
    {
        byte[] bytes = new byte[Math.Max(length, NtpHeader.Length)];
        header.Write(bytes);
        return NtpProbe.Verify(bytes.AsSpan(0, length), Now, Skew, out origin);
    }

    [Fact]
    public void Request_IsMode3Version4WithOnlyTheTransmitTime()
    {
        byte[] packet = new byte[NtpHeader.Length];
        packet.AsSpan().Fill(0xFF);
        NtpProbe.WriteRequest(packet, 0x0123_4567_89AB_CDEF);
        Assert.True(NtpHeader.TryRead(packet, out NtpHeader h));
        Assert.Equal(NtpMode.Client, h.Mode);
        Assert.Equal(4, h.Version);
        Assert.Equal(0x0123_4567_89AB_CDEFUL, h.TransmitTime.Value);
        Assert.True(h.OriginTime.IsZero && h.ReceiveTime.IsZero && h.ReferenceTime.IsZero);
        Assert.Equal(0, h.Stratum);
    }

    [Fact]
    public void GoodReply_IsValidAndReturnsItsOrigin()
    {
        Assert.Equal(ReplyVerdict.Valid, Verify(GoodReply(42), out ulong origin));
        Assert.Equal(42UL, origin);
    }

    [Fact]
    public void ExtensionFieldsAfterTheHeader_AreAccepted()
    {
        byte[] bytes = new byte[NtpHeader.Length + 32];
        GoodReply(7).Write(bytes);
        Assert.Equal(ReplyVerdict.Valid, NtpProbe.Verify(bytes, Now, Skew, out _));
    }

    [Fact]
    public void ShortDatagram_IsTooShort() =>
        Assert.Equal(ReplyVerdict.TooShort, Verify(GoodReply(1), out _, length: 47));

    [Theory]
    [InlineData(NtpMode.Client)]
    [InlineData(NtpMode.SymmetricPassive)]
    [InlineData(NtpMode.Broadcast)]
    [InlineData(NtpMode.Control)]
    public void WrongMode_IsRejected(NtpMode mode)
    {
        NtpHeader h = GoodReply(1);
        h.Mode = mode;
        Assert.Equal(ReplyVerdict.BadMode, Verify(h, out _));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void WrongVersion_IsRejected(byte version)
    {
        NtpHeader h = GoodReply(1);
        h.Version = version;
        Assert.Equal(ReplyVerdict.BadVersion, Verify(h, out _));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(255)]
    public void StratumAbove15_IsRejected(byte stratum)
    {
        NtpHeader h = GoodReply(1);
        h.Stratum = stratum;
        Assert.Equal(ReplyVerdict.BadStratum, Verify(h, out _));
    }

    [Theory]
    [InlineData("RATE")]
    [InlineData("DENY")]
    [InlineData("RSTR")]
    public void KissOfDeath_IsRecognised(string code)
    {
        NtpHeader h = GoodReply(9);
        h.Stratum = 0;
        h.Leap = LeapIndicator.Unsynchronized;
        h.ReferenceId = new ReferenceId(BinaryPrimitives.ReadUInt32BigEndian(System.Text.Encoding.ASCII.GetBytes(code)));
        Assert.Equal(ReplyVerdict.KissOfDeath, Verify(h, out ulong origin));
        Assert.Equal(9UL, origin);
    }

    [Fact]
    public void Stratum0WithoutAKissCode_IsBadStratum()
    {
        NtpHeader h = GoodReply(1);
        h.Stratum = 0;
        h.ReferenceId = new ReferenceId(0x7F000001);
        Assert.Equal(ReplyVerdict.BadStratum, Verify(h, out _));
    }

    [Fact]
    public void ZeroReceiveOrTransmit_IsRejected()
    {
        NtpHeader h = GoodReply(1);
        h.ReceiveTime = NtpTimestamp.Zero;
        Assert.Equal(ReplyVerdict.ZeroTimestamp, Verify(h, out _));
        h = GoodReply(1);
        h.TransmitTime = NtpTimestamp.Zero;
        Assert.Equal(ReplyVerdict.ZeroTimestamp, Verify(h, out _));
    }

    [Fact]
    public void ReceiveAfterTransmit_IsRejected()
    {
        NtpHeader h = GoodReply(1);
        (h.ReceiveTime, h.TransmitTime) = (h.TransmitTime, h.ReceiveTime);
        Assert.Equal(ReplyVerdict.ReceiveAfterTransmit, Verify(h, out _));
    }

    [Fact]
    public void TransmitFarFromOurClock_IsOutOfRange()
    {
        NtpHeader h = GoodReply(1);
        h.ReceiveTime = NtpTimestamp.FromUnixNanoseconds(Now - 3600_000_000_000);
        h.TransmitTime = NtpTimestamp.FromUnixNanoseconds(Now - 3600_000_000_000 + 1000);
        Assert.Equal(ReplyVerdict.TimestampOutOfRange, Verify(h, out _));
        h.ReceiveTime = NtpTimestamp.FromUnixNanoseconds(Now + 11_000_000_000);
        h.TransmitTime = NtpTimestamp.FromUnixNanoseconds(Now + 11_000_000_000);
        Assert.Equal(ReplyVerdict.TimestampOutOfRange, Verify(h, out _));
    }
}

public class RequestTrackerTests
{
    [Fact]
    public void Reply_MatchesItsRequestOnce()
    {
        var t = new RequestTracker(16);
        ulong tx = t.Next(high: 0xEC000000, sendTicks: 1234, step: 3);
        Assert.Equal(0xEC000000UL, tx >> 32);
        Assert.Equal(MatchResult.Matched, t.Match(tx, out long sendTicks, out int step));
        Assert.Equal(1234, sendTicks);
        Assert.Equal(3, step);
        Assert.Equal(MatchResult.Duplicate, t.Match(tx, out _, out _));
    }

    [Fact]
    public void ForeignOrigin_IsUnknown()
    {
        var t = new RequestTracker(16);
        ulong tx = t.Next(0xEC000000, 1, 0);
        Assert.Equal(MatchResult.Unknown, t.Match(tx ^ (1UL << 40), out _, out _));
        Assert.Equal(MatchResult.Unknown, t.Match(0, out _, out _));
        // A sequence number not yet handed out is not ours either.
        Assert.Equal(MatchResult.Unknown, t.Match(tx + 5, out _, out _));
    }

    [Fact]
    public void ReplyAfterItsSlotWasReused_IsLate()
    {
        var t = new RequestTracker(8);
        ulong first = t.Next(0xEC000000, 1, 0);
        for (int i = 0; i < 8; i++) t.Next(0xEC000000, 2, 0);
        Assert.Equal(MatchResult.Late, t.Match(first, out _, out _));
    }

    [Fact]
    public void SequenceNumbers_WrapAround()
    {
        var t = new RequestTracker(4, firstSequence: uint.MaxValue - 1);
        ulong a = t.Next(0xEC000000, 10, 0);
        ulong b = t.Next(0xEC000000, 11, 0);
        ulong c = t.Next(0xEC000001, 12, 0);
        Assert.Equal(0u, (uint)c);
        Assert.Equal(MatchResult.Matched, t.Match(c, out long ticks, out _));
        Assert.Equal(12, ticks);
        Assert.Equal(MatchResult.Matched, t.Match(a, out _, out _));
        Assert.Equal(MatchResult.Matched, t.Match(b, out _, out _));
    }

    [Fact]
    public void Capacity_MustBeAPowerOfTwo()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestTracker(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestTracker(0));
    }
}
