using System.Buffers.Binary;
using System.Net;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Ntp;
using FsCheck;
using FsCheck.Fluent;

namespace FastNtp.LoadTest.Tests;

public class RawFramesTests
{
    private const long Now = 1_795_000_000_000_000_000; // 2026-11-18, Unix nanoseconds
    private const long Skew = 10_000_000_000;
    private static readonly MacAddress GeneratorMac = new(0x02_00_00_00_00_01);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);

    private static RawRequestFrames Frames(bool ipv6, int clients = 1000, int addresses = 256) => new(
        new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1"), addresses),
        IPEndPoint.Parse(ipv6 ? "[fd00:200::2]:123" : "10.200.0.2:123"), clients);

    private static ulong Transmit(uint sequence) => (NtpTimestamp.FromUnixNanoseconds(Now).Value & 0xFFFF_FFFF_0000_0000) | sequence;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Requests_AreByteIdenticalToFramesBuiltFromScratch(bool ipv6)
    {
        // The incremental checksum updates must give exactly what the codec computes over the whole frame.
        RawRequestFrames frames = Frames(ipv6);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3_000), Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), transmit =>
        {
            byte[] frame = new byte[frames.FrameLength];
            frames.Write(frame, transmit);

            int client = frames.ClientOf((uint)transmit);
            byte[] source = IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1").GetAddressBytes();
            BinaryPrimitives.WriteUInt32BigEndian(source.AsSpan(source.Length - 4), frames.ClientAddressLow(client));
            byte[] payload = new byte[NtpHeader.Length];
            NtpProbe.WriteRequest(payload, transmit);
            byte[] expected = new byte[frames.FrameLength];
            UdpFrameWriter.Write(expected, GeneratorMac, ServerMac, source, IPAddress.Parse(ipv6 ? "fd00:200::2" : "10.200.0.2").GetAddressBytes(),
                frames.ClientPort(client), 123, payload);
            return frame.AsSpan().SequenceEqual(expected);
        }));
    }

    [Fact]
    public void Clients_SpreadOverAddressesThenPorts()
    {
        RawRequestFrames frames = Frames(ipv6: false, clients: 1000, addresses: 256);
        var seen = new HashSet<(uint, ushort)>();
        for (uint s = 0; s < 1000; s++)
        {
            byte[] frame = new byte[frames.FrameLength];
            frames.Write(frame, Transmit(s));
            Assert.Equal(FrameError.None, UdpFrame.TryParse(frame, out UdpFrame udp));
            seen.Add((BinaryPrimitives.ReadUInt32BigEndian(udp.SourceAddress), udp.SourcePort));
            Assert.Equal(IPAddress.Parse("10.201.0.1").GetAddressBytes()[..2], udp.SourceAddress[..2].ToArray());
        }

        Assert.Equal(1000, seen.Count);
        Assert.Equal(256, seen.Select(c => c.Item1).Distinct().Count());
        Assert.Equal([1024, 1025, 1026, 1027], seen.Select(c => c.Item2).Distinct().Order().Select(p => (int)p));
        // Request number 1000 comes from the first client again.
        byte[] again = new byte[frames.FrameLength];
        frames.Write(again, Transmit(1000));
        UdpFrame.TryParse(again, out UdpFrame first);
        Assert.Equal(1024, first.SourcePort);
        Assert.Equal(0x0AC9_0001u, BinaryPrimitives.ReadUInt32BigEndian(first.SourceAddress));
    }

    /// <summary>The request for <paramref name="sequence"/> turned into a server's reply with the given NTP header.</summary>
    private static byte[] Reply(RawRequestFrames frames, uint sequence, Action<byte[]>? editPayload = null)
    {
        byte[] frame = new byte[frames.FrameLength];
        frames.Write(frame, Transmit(sequence));
        var header = new NtpHeader
        {
            Version = 4,
            Mode = NtpMode.Server,
            Stratum = 1,
            ReferenceId = ReferenceId.Local,
            OriginTime = new NtpTimestamp(Transmit(sequence)),
            ReceiveTime = NtpTimestamp.FromUnixNanoseconds(Now),
            TransmitTime = NtpTimestamp.FromUnixNanoseconds(Now + 5_000),
        };
        int payloadAt = UdpFrame.HeadersLength(frames.IsIPv6);
        header.Write(frame.AsSpan(payloadAt));
        editPayload?.Invoke(frame);
        UdpFrameWriter.TurnIntoReply(frame, frames.IsIPv6, NtpHeader.Length);
        return frame;
    }

    private static (bool Ours, ReplyVerdict Verdict, ulong Origin) Judge(RawRequestFrames frames, byte[] frame, bool checksumPending = false)
    {
        bool ours = frames.TryJudgeReply(frame, checksumPending, Now, Skew, out ReplyVerdict verdict, out ulong origin);
        return (ours, verdict, origin);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GoodReply_IsValidAndNamesItsRequest(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6);
        Assert.Equal((true, ReplyVerdict.Valid, Transmit(777)), Judge(frames, Reply(frames, 777)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReplyToAnotherClient_IsWrongClient(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6);
        // The reply to request 5 carrying the origin of request 6: valid NTP, but client 5's address and port.
        byte[] frame = Reply(frames, 5, f => new NtpTimestamp(Transmit(6)).Write(f.AsSpan(UdpFrame.HeadersLength(ipv6) + 24)));
        Assert.Equal((true, ReplyVerdict.WrongClient, Transmit(6)), Judge(frames, frame));
    }

    [Fact]
    public void BadChecksum_IsInvalidUnlessTheKernelLeftItToOffload()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        byte[] frame = Reply(frames, 9);
        frame[UdpFrame.Ipv4HeadersLength - 1] ^= 0x5A;
        Assert.Equal(ReplyVerdict.BadUdpChecksum, Judge(frames, frame).Verdict);
        Assert.Equal(ReplyVerdict.Valid, Judge(frames, frame, checksumPending: true).Verdict);
    }

    [Fact]
    public void NtpChecks_StillApply()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        byte[] frame = Reply(frames, 3, f => f[UdpFrame.Ipv4HeadersLength] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client));
        Assert.Equal((true, ReplyVerdict.BadMode, Transmit(3)), Judge(frames, frame));
    }

    [Fact]
    public void FramesNotFromTheTarget_AreNoneOfTheRunsBusiness()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        // Our own request (to the target, not from it), an ARP frame, a reply from another port, an IPv6 frame in an IPv4 run.
        byte[] request = new byte[frames.FrameLength];
        frames.Write(request, Transmit(1));
        Assert.False(Judge(frames, request).Ours);
        byte[] arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        Assert.False(Judge(frames, arp).Ours);
        byte[] otherPort = Reply(frames, 2);
        BinaryPrimitives.WriteUInt16BigEndian(otherPort.AsSpan(UdpFrame.Ipv4HeadersLength - 8), 124);
        Assert.False(Judge(frames, otherPort).Ours);
        Assert.False(Judge(frames, Reply(Frames(ipv6: true), 2)).Ours);
    }

    [Fact]
    public void HostileFrames_NeverThrow()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<bool>(),
            (bytes, pending) => frames.TryJudgeReply(bytes, pending, Now, Skew, out _, out _) || true));
        byte[] reply = Reply(frames, 4);
        for (int cut = 0; cut < reply.Length; cut++)
            Assert.False(frames.TryJudgeReply(reply.AsSpan(0, cut), false, Now, Skew, out _, out _));
    }

    [Theory]
    [InlineData("10.201.0.1", "10.200.0.2:123", 100, 2, 1, "--threads must be 1")]
    [InlineData("fd00:201::1", "10.200.0.2:123", 100, 1, 1, "same address family")]
    [InlineData("10.201.0.1", "10.200.0.2:123", 70_000, 1, 1, "--clients")]
    [InlineData("10.201.0.1", "10.200.0.2:123", 100, 1, 0, "--raw-addresses")]
    [InlineData("255.255.255.200", "10.200.0.2:123", 100, 1, 256, "wrap")]
    public void OptionsThatCannotWork_AreRefused(string firstClient, string target, int clients, int threads, int addresses, string expected)
    {
        var options = new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(firstClient), addresses);
        Assert.Contains(expected, RawFrameOptions.Validate(options, IPEndPoint.Parse(target), clients, threads, 2), StringComparison.Ordinal);
        Assert.Null(RawFrameOptions.Validate(options with { FirstClient = IPAddress.Parse("10.201.0.1"), Addresses = 256 }, IPEndPoint.Parse("10.200.0.2:123"), 1000, 1, 2));
    }

    [Theory]
    [InlineData(48, 2, "--raw-sample")]
    [InlineData(-1, 2, "--raw-sample")]
    [InlineData(64, ReplySink.MaxEntries + 1, "steps")]
    public void SampleOrStepsTheSinkCannotCount_AreRefused(int sample, int entries, string expected)
    {
        var options = new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse("10.201.0.1"), 256, sample);
        Assert.Contains(expected, RawFrameOptions.Validate(options, IPEndPoint.Parse("10.200.0.2:123"), 1000, 1, entries), StringComparison.Ordinal);
        Assert.Null(RawFrameOptions.Validate(options with { Sample = 64 }, IPEndPoint.Parse("10.200.0.2:123"), 1000, 1, ReplySink.MaxEntries));
    }

    [Fact]
    public void WritingARequest_AllocatesNothing()
    {
        RawRequestFrames frames = Frames(ipv6: true);
        byte[] frame = new byte[frames.FrameLength];
        frames.Write(frame, Transmit(0));
        byte[] reply = Reply(frames, 0);
        frames.TryJudgeReply(reply, false, Now, Skew, out _, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint s = 0; s < 1000; s++)
        {
            frames.Write(frame, Transmit(s));
            frames.TryJudgeReply(reply, false, Now, Skew, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
