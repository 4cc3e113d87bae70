using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastNtp.Crypto;
using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest.Tests;

/// <summary>
/// The reply sink (Bpf/reply_sink.c) run on hand-made reply frames with BPF_PROG_TEST_RUN: what it counts, under which
/// step, and which frames it drops or passes up. Needs root (CAP_BPF) and a build with clang.
/// </summary>
public sealed class ReplySinkTests : IDisposable
{
    private const uint XdpDrop = 1;
    private const uint XdpPass = 2;
    private const uint Tag = 0xA5_5A_01;
    private const int Sample = 64;
    private const int Clients = 1000;
    private const int Entries = 4;
    private static readonly MacAddress GeneratorMac = new(0x02_00_00_00_00_01);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);

    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }

    private static RawRequestFrames Frames(bool ipv6, IReadOnlyList<NtsLoadSession>? sessions = null) => new(
        new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1"), 256, Sample),
        IPEndPoint.Parse(ipv6 ? "[fd00:200::2]:123" : "10.200.0.2:123"), Clients, sessions);

    private ReplySink Load(RawRequestFrames frames)
    {
        Assert.True(ReplySink.CompiledObject() is not null, "fastntp-load was built without its reply sink: install clang and libbpf-dev (scripts/install-deps.sh) and rebuild.");
        ReplySink sink;
        try
        {
            sink = ReplySink.Load(RawFrameTransport.SinkConfig(frames, Tag, Sample), Entries);
        }
        catch (BpfException e)
        {
            throw new InvalidOperationException($"Loading the reply sink failed ({e.Message}); these tests need root (CAP_BPF).", e);
        }

        _owned.Add(sink);
        sink.Enter(1);
        return sink;
    }

    private NtsLoadSession NtsSession()
    {
        byte[] key = new byte[32];
        var session = new NtsLoadSession(AeadAlgorithm.AesSivCmac256, key, key, [new byte[100]], 0, new byte[32]);
        _owned.Add(session);
        return session;
    }

    /// <summary>The reply the target would send to request <paramref name="sequence"/> of <paramref name="entry"/>, with its payload.</summary>
    private static byte[] Reply(RawRequestFrames frames, int entry, uint sequence, Action<byte[]>? editPayload = null, int? clientPortOverride = null,
        ulong? originOverride = null)
    {
        ulong origin = originOverride ?? ReplySink.Transmit(Tag, entry, sequence);
        byte[] payload = new byte[frames.IsNts ? RawFrameTransport.NtsMinimumReplyLength + 20 : NtpHeader.Length];
        payload[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Server);
        payload[1] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(24), origin);
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(32), 0xEAAA_0000_0000_0001);
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(40), 0xEAAA_0000_0000_0002);
        if (frames.IsNts)
        {
            // The unique identifier echoed first (24 octets of prefix, then the request's transmit timestamp), then
            // what stands for the authenticator: the sink does not open it.
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(48), 0x0104);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(50), 36);
            BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(48 + 4 + 24), origin);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(84), 0x0404);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(86), (ushort)(payload.Length - 84));
        }

        editPayload?.Invoke(payload);
        int client = frames.ClientOf(sequence);
        byte[] clientAddress = frames.ClientAddressTemplate.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(clientAddress.AsSpan(clientAddress.Length - 4), frames.ClientAddressLow(client));
        byte[] frame = new byte[UdpFrame.HeadersLength(frames.IsIPv6) + payload.Length];
        UdpFrameWriter.Write(frame, ServerMac, GeneratorMac, frames.TargetAddress, clientAddress, frames.TargetPort,
            (ushort)(clientPortOverride ?? frames.ClientPort(client)), payload);
        return frame;
    }

    private static uint Run(ReplySink sink, byte[] frame)
    {
        byte[] output = new byte[frame.Length + 256];
        return sink.Program.TestRun(frame, output, out _);
    }

    [Fact]
    public void SinkStructs_MatchTheProgramsLayout()
    {
        Assert.Equal(64, Unsafe.SizeOf<ReplySinkConfig>());
        Assert.Equal((4 + ReplySinkCounts.ReasonCount) * 8, Unsafe.SizeOf<ReplySinkCounts>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ValidReply_CountedUnderTheCurrentStepDroppedAndOneInSamplePassedUp(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6);
        ReplySink sink = Load(frames);

        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 1001)));
        Assert.Equal(XdpPass, Run(sink, Reply(frames, 1, 64 * 5)));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(2ul, counts.Valid);
        Assert.Equal(1ul, counts.Sampled);
        Assert.Equal(0ul, counts.Late);
        Assert.Equal(0ul, sink.Read(0).Valid);
    }

    [Fact]
    public void ReplyToAnotherStep_CountedLate()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);

        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 0, 0)));

        Assert.Equal(1ul, sink.Read(1).Late);
        Assert.Equal(0ul, sink.Read(1).Valid);
    }

    [Fact]
    public void ReplyToAnotherClientsPort_InvalidWrongClient()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);
        // Sequence 7 is client 7's (port 1024); port 1025 belongs to client 263.
        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7, clientPortOverride: 1025)));
        // A port beyond every client's.
        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7, clientPortOverride: 5000)));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(2ul, counts.InvalidOf(ReplySinkReason.WrongClient));
        Assert.Equal(0ul, counts.Valid);
    }

    [Fact]
    public void OriginWithoutTheRunsTag_InvalidUnknownOrigin()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);

        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7, originOverride: ReplySink.Transmit(Tag ^ 0x10, 1, 7))));

        Assert.Equal(1ul, sink.Read(1).InvalidOf(ReplySinkReason.UnknownOrigin));
        Assert.Equal(0ul, sink.Read(1).Valid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public void TruncatedReply_InvalidMalformed(int cut)
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);
        byte[] frame = Reply(frames, 1, 7);

        Assert.Equal(XdpDrop, Run(sink, frame[..^cut]));

        Assert.Equal(1ul, sink.Read(1).InvalidOf(ReplySinkReason.Malformed));
    }

    [Fact]
    public void WrongVersionOrMode_InvalidByReason()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);

        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7, p => p[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 3, NtpMode.Server))));
        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7, p => p[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client))));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(1ul, counts.InvalidOf(ReplySinkReason.BadVersion));
        Assert.Equal(1ul, counts.InvalidOf(ReplySinkReason.BadMode));
        Assert.Equal(0ul, counts.Valid);
    }

    [Fact]
    public void ReceiveAfterTransmitOrZeroStratumOrZeroTimestamps_CountedApart()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);

        Run(sink, Reply(frames, 1, 7, p => BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(32), ulong.MaxValue)));
        Run(sink, Reply(frames, 1, 7, p => p.AsSpan(32, 16).Clear()));
        Run(sink, Reply(frames, 1, 7, p => p[1] = 0));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(1ul, counts.InvalidOf(ReplySinkReason.ReceiveAfterTransmit));
        Assert.Equal(1ul, counts.InvalidOf(ReplySinkReason.ZeroTimestamp));
        Assert.Equal(1ul, counts.KissOfDeath);
        Assert.Equal(0ul, counts.Valid);
    }

    [Fact]
    public void FramesNotFromTheTarget_PassedUncounted()
    {
        RawRequestFrames frames = Frames(false);
        ReplySink sink = Load(frames);
        byte[] frame = Reply(frames, 1, 7);
        // Another source port: not the target's (NTS-KE's TCP, anything else on the interface is the kernel's).
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(EthernetHeader.Length + 20), 4460);

        Assert.Equal(XdpPass, Run(sink, frame));
        Assert.Equal(XdpPass, Run(sink, frame[..20]));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(0ul, counts.Valid + counts.Late + counts.KissOfDeath);
        for (int r = 0; r < ReplySinkCounts.ReasonCount; r++) Assert.Equal(0ul, counts.InvalidOf((ReplySinkReason)r));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NtsReply_ValidOnlyWithTheUniqueIdentifierEchoingTheOrigin(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6, [NtsSession()]);
        ReplySink sink = Load(frames);

        Assert.Equal(XdpDrop, Run(sink, Reply(frames, 1, 7)));
        // The identifier of another request, no identifier first, and an NTS NAK.
        Run(sink, Reply(frames, 1, 7, p => p[48 + 4 + 31] ^= 1));
        Run(sink, Reply(frames, 1, 7, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(48), 0x0204)));
        Run(sink, Reply(frames, 1, 7, p =>
        {
            p[1] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), 0x4E54534E);
        }));

        ReplySinkCounts counts = sink.Read(1);
        Assert.Equal(1ul, counts.Valid);
        Assert.Equal(2ul, counts.InvalidOf(ReplySinkReason.NtsUniqueId));
        Assert.Equal(1ul, counts.InvalidOf(ReplySinkReason.NtsNak));
    }

    [Fact]
    public void NtsReplyTooShortForItsFields_InvalidBadLength()
    {
        RawRequestFrames frames = Frames(false, [NtsSession()]);
        ReplySink sink = Load(frames);
        byte[] full = Reply(frames, 1, 7);
        byte[] payload = full.AsSpan(UdpFrame.HeadersLength(false), NtpHeader.Length + 36).ToArray();
        byte[] frame = new byte[UdpFrame.HeadersLength(false) + payload.Length];
        UdpFrameWriter.Write(frame, ServerMac, GeneratorMac, frames.TargetAddress, full.AsSpan(EthernetHeader.Length + 16, 4), frames.TargetPort,
            frames.ClientPort(frames.ClientOf(7)), payload);

        Run(sink, frame);

        Assert.Equal(1ul, sink.Read(1).InvalidOf(ReplySinkReason.BadLength));
    }

    [Fact]
    public void SinkCounts_AddedToStepStatsLessTheSampledRepliesFullVerificationRejected()
    {
        var stats = new StepStats { SampleRejected = 2 };
        var counts = new ReplySinkCounts { Valid = 100, Sampled = 3, Late = 4, KissOfDeath = 5 };
        Span<ulong> words = MemoryMarshal.Cast<ReplySinkCounts, ulong>(new Span<ReplySinkCounts>(ref counts));
        words[4 + (int)ReplySinkReason.WrongClient] = 6;
        words[4 + (int)ReplySinkReason.UnknownOrigin] = 7;

        stats.AddSinkCounts(counts);

        Assert.Equal(98, stats.Replies);
        Assert.Equal(3, stats.Sampled);
        Assert.Equal(4, stats.Late);
        Assert.Equal(5, stats.KissOfDeath);
        Assert.Equal(13, stats.Invalid);
        Assert.Equal("WrongClient=6, UnknownOrigin=7", stats.DescribeInvalid());
    }
}
