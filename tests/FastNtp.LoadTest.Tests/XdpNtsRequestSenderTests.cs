using System.Diagnostics;
using System.Net;
using FastNtp.Crypto;
using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Frames;

namespace FastNtp.LoadTest.Tests;

/// <summary>
/// The XDP sender's NTS program (nts_request_gen in Bpf/request_gen.c) under BPF_PROG_TEST_RUN: each run's frame must
/// be the pool's request number sequence mod count, byte for byte, whatever the page held before; the sampled replies
/// tracked follow the same wrap. Needs root (CAP_BPF) and a build with clang.
/// </summary>
public sealed class XdpNtsRequestSenderTests : IDisposable
{
    private const uint XdpRedirect = 4;
    private const uint Tag = 0x3C_C3_07;
    private const int Sample = 8;
    private static readonly MacAddress GeneratorMac = new(0x02_00_00_00_00_01);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);
    /// <summary>Entry 0 with 10 requests, entry 1 with 37: neither a power of two, so the wrap is not the sample's.</summary>
    private static readonly LoadStep[] Timeline = [new(-1, 10, TimeSpan.FromSeconds(1)), new(0, 37, TimeSpan.FromSeconds(1))];

    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }

    private (RawRequestFrames Frames, RawNtsRequestPool Pool) Pool(bool ipv6)
    {
        var sessions = new List<NtsLoadSession>();
        // Cookies of two lengths, so frames of two lengths follow each other.
        for (byte s = 0; s < 2; s++)
        {
            var session = new NtsLoadSession(AeadAlgorithm.AesSivCmac256, Enumerable.Repeat((byte)(s + 1), 32).ToArray(),
                Enumerable.Repeat((byte)(s + 101), 32).ToArray(), [Enumerable.Repeat((byte)(s + 50), 100 + 40 * s).ToArray()], s, Enumerable.Repeat(s, 32).ToArray());
            sessions.Add(session);
            _owned.Add(session);
        }

        var frames = new RawRequestFrames(
            new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1"), 4, Sample, RawSender.Xdp),
            IPEndPoint.Parse(ipv6 ? "[fd00:200::2]:123" : "10.200.0.2:123"), 10, sessions);
        return (frames, new RawNtsRequestPool(frames, Timeline, Tag));
    }

    private XdpRequestSender Load(RawRequestFrames frames, RawNtsRequestPool pool)
    {
        Assert.True(XdpRequestSender.CompiledObject() is not null, "fastntp-load was built without its XDP sender: install clang and libbpf-dev (scripts/install-deps.sh) and rebuild.");
        XdpRequestSender sender;
        try
        {
            sender = XdpRequestSender.Load(frames, "lo", Tag, Sample, pool);
        }
        catch (BpfException e)
        {
            throw new InvalidOperationException($"Loading the XDP sender failed ({e.Message}); these tests need root (CAP_BPF).", e);
        }

        _owned.Add(sender);
        return sender;
    }

    /// <summary>Begins <paramref name="entry"/> a second into a million per second: a request is due at every run.</summary>
    private static void BeginDue(XdpRequestSender sender, int entry)
    {
        long now = Stopwatch.GetTimestamp();
        sender.BeginEntry(entry, 1_000_000, now - Stopwatch.Frequency, now + Stopwatch.Frequency, burst: 1);
    }

    private static byte[] Run(XdpRequestSender sender, RawRequestFrames frames, byte[] page)
    {
        byte[] output = new byte[frames.MaxFrameLength + 256];
        Assert.Equal(XdpRedirect, sender.Program.TestRun(page, output, out int length));
        return output[..length];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Program_SendsThePoolsFramesInTurnByteForByte(bool ipv6)
    {
        (RawRequestFrames frames, RawNtsRequestPool pool) = Pool(ipv6);
        XdpRequestSender sender = Load(frames, pool);
        Assert.NotEqual(pool.Frame(1, 0).Length, pool.Frame(1, 1).Length);
        // Entry 0, then entry 1 over its 37 requests more than twice: request i of an entry is sequence i mod count.
        for (int entry = 0; entry < 2; entry++)
        {
            BeginDue(sender, entry);
            int count = pool.CountFor(entry);
            for (int sequence = 0; sequence < 2 * count + 5; sequence++)
            {
                // A page recycled after a peer answered in it: another frame altogether, of any length.
                byte[] page = new byte[Random.Shared.Next(60, 600)];
                Random.Shared.NextBytes(page);
                Assert.Equal(pool.Frame(entry, sequence % count).ToArray(), Run(sender, frames, page));
            }

            Assert.Equal((ulong)(2 * count + 5), sender.State.Sent);
        }
    }

    [Fact]
    public void TrackSent_TracksTheSampledRequestsAcrossTheWrapOfThePool()
    {
        (RawRequestFrames frames, RawNtsRequestPool pool) = Pool(ipv6: false);
        XdpRequestSender sender = Load(frames, pool);
        BeginDue(sender, 1);
        sender.State.Next = 30;
        for (int i = 0; i < 20; i++) Run(sender, frames, frames.Template.ToArray());
        Assert.Equal(50u, sender.State.Next);
        var tracker = new RequestTracker(1 << 16);
        sender.TrackSent(tracker, first: 30, doneBefore: 0);
        // Sequences 30..49 are requests 30..36 and 0..12 of 37: 32, 0 and 8 are the sampled ones.
        foreach (uint sampled in new uint[] { 32, 0, 8 })
        {
            Assert.Equal(MatchResult.Matched, tracker.Match(ReplySink.Transmit(Tag, 1, sampled), out _, out int step));
            Assert.Equal(1, step);
        }

        foreach (uint other in new uint[] { 30, 36, 1, 12, 16, 40 })
            Assert.Equal(MatchResult.Unknown, tracker.Match(ReplySink.Transmit(Tag, 1, other), out _, out _));
    }

    [Fact]
    public void Load_RefusesNtsFramesWithoutTheirPool()
    {
        (RawRequestFrames frames, _) = Pool(ipv6: false);
        Assert.Throws<ArgumentException>(() => XdpRequestSender.Load(frames, "lo", Tag, Sample));
    }
}
