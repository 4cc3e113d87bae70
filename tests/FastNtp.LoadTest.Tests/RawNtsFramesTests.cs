using System.Net;
using FastNtp.Crypto;
using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;

namespace FastNtp.LoadTest.Tests;

/// <summary>
/// Raw NTS mode against the real NTS responder: requests built ahead by <see cref="RawNtsRequestPool"/> from several
/// sessions, answered by the responder inside reply frames, judged by the generator's full check and by the reply sink.
/// </summary>
public sealed class RawNtsFramesTests : IDisposable
{
    private const uint Tag = 0x12_34_56;
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly MacAddress GeneratorMac = new(0x02_00_00_00_00_01);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);

    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(Secret, 1000, 7));
    private readonly NtsResponder _nts;
    private readonly Responder _responder;
    private readonly RandomPool _random = new();
    private readonly ServerSnapshot _snapshot = ServerSnapshot.LocalClock(1, -20, new RealtimeClock().Now());
    private readonly List<NtsLoadSession> _sessions = [];

    public RawNtsFramesTests()
    {
        _nts = new NtsResponder(_store);
        _responder = new Responder(_nts);
        using var codec = new NtsCookieCodec(_store, _random);
        // Three clients' worth of keys: each session its own C2S/S2C keys and cookies sealed for them.
        for (byte s = 0; s < 3; s++)
        {
            byte[] c2s = Enumerable.Repeat((byte)(s + 1), 32).ToArray();
            byte[] s2c = Enumerable.Repeat((byte)(s + 101), 32).ToArray();
            byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
            cookie = cookie[..codec.Seal(AeadAlgorithm.AesSivCmac256, c2s, s2c, cookie)];
            _sessions.Add(new NtsLoadSession(AeadAlgorithm.AesSivCmac256, c2s, s2c, [cookie], 0, Enumerable.Repeat(s, 32).ToArray()));
        }
    }

    public void Dispose()
    {
        foreach (NtsLoadSession s in _sessions) s.Dispose();
        _nts.Dispose();
    }

    private RawRequestFrames Frames(bool ipv6) => new(
        new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1"), 4, 8),
        IPEndPoint.Parse(ipv6 ? "[fd00:200::2]:123" : "10.200.0.2:123"), 10, _sessions);

    /// <summary>The responder's reply to a request frame, as the frame the server would send back; null when it drops it.</summary>
    private byte[]? Answer(ReadOnlySpan<byte> request)
    {
        Assert.Equal(FrameError.None, UdpFrame.TryParse(request, out UdpFrame frame));
        byte[] reply = request.ToArray();
        int headers = UdpFrame.HeadersLength(frame.IsIPv6);
        byte[] payload = new byte[2048];
        var clock = new RealtimeClock();
        ResponderResult result = _responder.Handle(frame.Payload, new RequestInfo(clock.Now(), 40000), _snapshot, payload, ref clock);
        if (!result.ShouldRespond) return null;
        Array.Resize(ref reply, Math.Max(reply.Length, headers + result.Length));
        payload.AsSpan(0, result.Length).CopyTo(reply.AsSpan(headers));
        return reply[..UdpFrameWriter.TurnIntoReply(reply, frame.IsIPv6, result.Length)];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PooledRequests_AnsweredByTheResponderAndVerifiedFullyAndByTheSink(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6);
        LoadStep[] timeline = [new(-1, 10, TimeSpan.FromSeconds(1)), new(0, 20, TimeSpan.FromSeconds(1))];
        var pool = new RawNtsRequestPool(frames, timeline, Tag);
        Assert.Equal(10, pool.CountFor(0));
        Assert.Equal(20, pool.CountFor(1));
        Assert.True(ReplySink.CompiledObject() is not null, "fastntp-load was built without its reply sink: install clang and libbpf-dev and rebuild.");
        ReplySink sink;
        try
        {
            sink = ReplySink.Load(RawFrameTransport.SinkConfig(frames, Tag, 8), timeline.Length);
        }
        catch (BpfException e)
        {
            throw new InvalidOperationException($"Loading the reply sink failed ({e.Message}); this test needs root (CAP_BPF).", e);
        }

        using (sink)
        {
            sink.Enter(1);
            byte[] request = new byte[frames.MaxFrameLength];
            byte[] output = new byte[4096];
            long now = Clocks.UnixNanosecondsNow();
            // Twice round the entry's requests: the second turn resends the same frames, and they still verify.
            for (int i = 0; i < 40; i++)
            {
                int length = pool.Next(1, request, out ulong transmit);
                Assert.Equal(ReplySink.Transmit(Tag, 1, (uint)(i % 20)), transmit);
                byte[] reply = Answer(request.AsSpan(0, length)) ?? throw new Xunit.Sdk.XunitException($"request {i} was not answered");

                Assert.True(frames.TryJudgeReply(reply, false, now, 10_000_000_000, out ReplyVerdict verdict, out ulong origin));
                Assert.Equal(ReplyVerdict.Valid, verdict);
                Assert.Equal(transmit, origin);
                sink.Program.TestRun(reply, output, out _);
            }

            ReplySinkCounts counts = sink.Read(1);
            Assert.Equal(40ul, counts.Valid);
            // Sequences 0, 8 and 16 of each turn.
            Assert.Equal(6ul, counts.Sampled);
        }
    }

    [Fact]
    public void ReplyReaddressedToAnotherClient_FailsFullVerification()
    {
        RawRequestFrames frames = Frames(false);
        var pool = new RawNtsRequestPool(frames, [new LoadStep(0, 10, TimeSpan.FromSeconds(1))], Tag);
        byte[] request = new byte[frames.MaxFrameLength];
        int length = pool.Next(0, request, out _);
        byte[] reply = Answer(request.AsSpan(0, length))!;
        // Client 0's reply readdressed to client 4 (same address, the next port). Verification names the client from the
        // origin, so the keys are client 0's: the reply still authenticates, but it is not client 4's.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(UdpFrame.HeadersLength(false) - 6), frames.ClientPort(4));

        Assert.True(frames.TryJudgeReply(reply, true, Clocks.UnixNanosecondsNow(), 10_000_000_000, out ReplyVerdict verdict, out _));
        Assert.Equal(ReplyVerdict.WrongClient, verdict);
    }
}
