using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Frames;
using FastNtp.Tests.Shared;

namespace FastNtp.LoadTest.Tests;

/// <summary>
/// The XDP sender (Bpf/request_gen.c): its program run with BPF_PROG_TEST_RUN on the request template (each run's
/// frame must be the one RawRequestFrames.Write builds for the same sequence number, checksums included), its pacing,
/// and a live run through a veth pair in namespaces made here, every sent frame counted at the peer. Needs root
/// (CAP_BPF, CAP_NET_ADMIN) and a build with clang.
/// </summary>
public sealed class XdpRequestSenderTests : IDisposable
{
    private const uint XdpDrop = 1;
    private const uint XdpRedirect = 4;
    private const uint Tag = 0x5A_A5_02;
    private const int Clients = 1000;
    private const int Addresses = 256;
    private const int Sample = 64;
    private static readonly MacAddress GeneratorMac = new(0x02_00_00_00_00_01);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);

    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }

    private static RawRequestFrames Frames(bool ipv6) => new(
        new RawFrameOptions("gen0", GeneratorMac, ServerMac, IPAddress.Parse(ipv6 ? "fd00:201::1" : "10.201.0.1"), Addresses, Sample, RawSender.Xdp),
        IPEndPoint.Parse(ipv6 ? "[fd00:200::2]:123" : "10.200.0.2:123"), Clients);

    private XdpRequestSender Load(RawRequestFrames frames)
    {
        Assert.True(XdpRequestSender.CompiledObject() is not null, "fastntp-load was built without its XDP sender: install clang and libbpf-dev (scripts/install-deps.sh) and rebuild.");
        XdpRequestSender sender;
        try
        {
            // A run outside live mode only returns XDP_REDIRECT, it sends nothing.
            sender = XdpRequestSender.Load(frames, "lo", Tag, Sample);
        }
        catch (BpfException e)
        {
            throw new InvalidOperationException($"Loading the XDP sender failed ({e.Message}); these tests need root (CAP_BPF).", e);
        }

        _owned.Add(sender);
        return sender;
    }

    /// <summary>A million requests due, none skipped: the schedule started a second ago at a million per second.</summary>
    private static void DueAlways(XdpRequestSender sender, int entry, uint next)
    {
        ref RequestGenState s = ref sender.State;
        s = default;
        s.StartNs = (ulong)(Clocks.TicksToNanoseconds(System.Diagnostics.Stopwatch.GetTimestamp()) - 1_000_000_000);
        s.EndNs = ulong.MaxValue / 2;
        s.Rate = 1_000_000;
        s.Limit = ulong.MaxValue;
        s.MaxBacklog = ulong.MaxValue;
        s.High = ReplySink.HighWord(Tag, entry);
        s.Next = next;
    }

    private static (uint Verdict, byte[] Frame) Run(XdpRequestSender sender, RawRequestFrames frames, byte[]? page = null)
    {
        byte[] output = new byte[frames.FrameLength + 256];
        uint verdict = sender.Program.TestRun(page ?? frames.Template.ToArray(), output, out int length);
        return (verdict, output[..length]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Program_StampsEachFrameAsRawRequestFramesWritesIt(bool ipv6)
    {
        RawRequestFrames frames = Frames(ipv6);
        XdpRequestSender sender = Load(frames);
        // Across the 32-bit wrap of the sequence number, and over more than one round of the clients.
        const uint first = uint.MaxValue - 700;
        DueAlways(sender, entry: 3, next: first);
        byte[] expected = new byte[frames.FrameLength];
        var addresses = new HashSet<uint>();
        for (uint i = 0; i < 1500; i++)
        {
            uint sequence = first + i;
            (uint verdict, byte[] frame) = Run(sender, frames);
            Assert.Equal(XdpRedirect, verdict);
            frames.Write(expected, ReplySink.Transmit(Tag, 3, sequence));
            Assert.Equal(expected, frame);
            Assert.Equal(FrameError.None, UdpFrame.TryParse(frame, out UdpFrame udp));
            if (!ipv6) Assert.True(InternetChecksum.IsValid(frame.AsSpan(EthernetHeader.Length, 20)));
            uint low = BinaryPrimitives.ReadUInt32BigEndian(udp.SourceAddress[^4..]);
            Assert.InRange(low, frames.FirstClientLow, frames.FirstClientLow + Addresses - 1);
            Assert.InRange(udp.SourcePort, RawFrameOptions.FirstPort, RawFrameOptions.FirstPort + (Clients - 1) / Addresses);
            addresses.Add(low);
        }

        Assert.Equal(Addresses, addresses.Count);
        Assert.Equal(1500ul, sender.State.Sent);
        Assert.Equal(unchecked(first + 1500u), sender.State.Next);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, -20)]
    [InlineData(true, 14)]
    public void Program_WritesTheWholeFrameWhateverThePageHeld(bool ipv6, int lengthChange)
    {
        RawRequestFrames frames = Frames(ipv6);
        XdpRequestSender sender = Load(frames);
        DueAlways(sender, entry: 2, next: 41);
        // A page recycled after a peer answered in it: another frame altogether, maybe of another length.
        byte[] page = new byte[frames.FrameLength + lengthChange];
        Random.Shared.NextBytes(page);
        (uint verdict, byte[] frame) = Run(sender, frames, page);
        Assert.Equal(XdpRedirect, verdict);
        byte[] expected = new byte[frames.FrameLength];
        frames.Write(expected, ReplySink.Transmit(Tag, 2, 41));
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Program_DropsTheFrameWhenNothingIsDue()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        XdpRequestSender sender = Load(frames);
        DueAlways(sender, entry: 1, next: 7);
        sender.State.Rate = 0;
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        sender.State.Rate = 1_000_000;
        sender.State.Limit = 0;
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        Assert.Equal(0ul, sender.State.Sent);
        Assert.Equal(7u, sender.State.Next);
    }

    [Fact]
    public void Program_SkipsWhatIsMoreThanTheBacklogBehind()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        XdpRequestSender sender = Load(frames);
        DueAlways(sender, entry: 1, next: 0);
        // A million due, with a limit: all of it is due now, all but the backlog skipped.
        sender.State.Limit = 10_000;
        sender.State.MaxBacklog = 300;
        Assert.Equal(XdpRedirect, Run(sender, frames).Verdict);
        Assert.Equal(9_700ul, sender.State.Skipped);
        Assert.Equal(1ul, sender.State.Sent);
        for (int i = 1; i < 300; i++) Assert.Equal(XdpRedirect, Run(sender, frames).Verdict);
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        Assert.Equal(300ul, sender.State.Sent);
        Assert.Equal(9_700ul, sender.State.Skipped);
    }

    [Fact]
    public void Program_HoldsRequestsUntilABurstIsDueThenCatchesUp()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        XdpRequestSender sender = Load(frames);
        DueAlways(sender, entry: 1, next: 0);
        // 10 per second for the past 1.5 s: 15 due, and the 16th not for another 50 ms.
        ref RequestGenState s = ref sender.State;
        s.StartNs = (ulong)(Clocks.TicksToNanoseconds(System.Diagnostics.Stopwatch.GetTimestamp()) - 1_500_000_000);
        s.Rate = 10;
        s.Limit = 1000;
        s.Burst = 16;
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        Assert.Equal(0ul, s.Sent);
        // Once a burst is due every run sends until nothing is, then it holds again.
        s.Burst = 15;
        for (int i = 0; i < 15; i++) Assert.Equal(XdpRedirect, Run(sender, frames).Verdict);
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        Assert.Equal(15ul, s.Sent);
        Assert.Equal(0u, s.Bursting);
    }

    [Fact]
    public void Program_SendsTheEntrysLastRequestsThoughFewerThanABurst()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        XdpRequestSender sender = Load(frames);
        DueAlways(sender, entry: 1, next: 0);
        ref RequestGenState s = ref sender.State;
        s.Limit = 5;
        s.Burst = 64;
        for (int i = 0; i < 5; i++) Assert.Equal(XdpRedirect, Run(sender, frames).Verdict);
        Assert.Equal(XdpDrop, Run(sender, frames).Verdict);
        Assert.Equal(5ul, s.Sent);
    }

    [Fact]
    public void SendDue_TracksTheRequestsWhoseRepliesComeUpSampled()
    {
        RawRequestFrames frames = Frames(ipv6: false);
        XdpRequestSender sender = Load(frames);
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        sender.BeginEntry(2, 1_000_000, now - System.Diagnostics.Stopwatch.Frequency, now + System.Diagnostics.Stopwatch.Frequency, burst: 1);
        sender.State.Next = 60;
        var tracker = new RequestTracker(1 << 16);
        ref RequestGenState s = ref sender.State;
        // The program's runs outside live mode, as SendDue would make them: 10 requests (60..69), of which 64 is sampled.
        for (int i = 0; i < 10; i++) Run(sender, frames);
        Assert.Equal(70u, s.Next);
        sender.TrackSent(tracker, first: 60, doneBefore: 0);
        Assert.Equal(MatchResult.Matched, tracker.Match(ReplySink.Transmit(Tag, 2, 64), out _, out int step));
        Assert.Equal(2, step);
        Assert.Equal(MatchResult.Unknown, tracker.Match(ReplySink.Transmit(Tag, 2, 63), out _, out _));
    }

    [Fact]
    public void LiveRun_EveryFrameSentReachesThePeer()
    {
        string ip = ExternalProcess.RequireProgram("ip", "iproute2");
        string ethtool = ExternalProcess.RequireProgram("ethtool", "ethtool");
        string clang = ExternalProcess.RequireProgram("clang", "clang");
        string root = RawFrameNetnsTests.RepositoryRoot();
        string pair = Path.Combine(root, "scripts", "bench", "netns-pair.sh");
        string name = $"xs{Environment.ProcessId % 100_000}{Random.Shared.Next(10)}";
        string work = Directory.CreateTempSubdirectory("fastntp-xdpgen-").FullName;
        (int up, string upOutput) = ExternalProcess.Run(pair, ["up", name], TimeSpan.FromSeconds(30));
        try
        {
            Assert.True(up == 0, "netns-pair.sh up (needs root): " + upOutput);
            // The counting sink: the ceiling runs' program on the server's end drops UDP to port 123, and the veth
            // counts its drops (rx_queue_0_xdp_drops); everything else (neighbour discovery) passes.
            string drop = Path.Combine(work, "xdp_drop.o");
            string arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64";
            ExternalProcess.RunChecked(clang, ["-O2", "-target", "bpf", $"-I/usr/include/{arch}-linux-gnu", "-c", Path.Combine(root, "bench", "xdp-sink", "xdp_drop.c"), "-o", drop], TimeSpan.FromSeconds(60));
            ExternalProcess.RunChecked(ip, ["-n", $"{name}-srv", "link", "set", "dev", $"{name}s", "xdpdrv", "obj", drop, "sec", "xdp"], TimeSpan.FromSeconds(10));

            string json = Path.Combine(work, "run.json");
            (int exit, string output) = ExternalProcess.Run(ip,
                ["netns", "exec", $"{name}-gen", "dotnet", Path.Combine(AppContext.BaseDirectory, "fastntp-load.dll"),
                 "--raw", $"{name}g", "--raw-dst-mac", "02:00:00:00:00:02", "--target", "10.200.0.2:123", "--allow-non-loopback",
                 "--raw-sender", "xdp", "--raw-sample", "0", "--clients", "512", "--raw-addresses", "64",
                 "--rate", "20000", "--duration", "1", "--warmup", "0", "--drain", "0.2", "--plain", "--json", json],
                TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, output);
            using var run = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement step = run.RootElement.GetProperty("steps")[0];
            long sent = step.GetProperty("sent").GetInt64();
            long refused = step.GetProperty("send_errors").GetInt64();
            long skipped = step.GetProperty("skipped").GetInt64();
            Assert.True(sent > 0, output);
            // Every request of the step was sent or skipped (it fell behind while the kernel waited at the end of a
            // call); every one sent reached the peer's program or was refused by the peer's full ring.
            Assert.Equal(20_000, sent + skipped);
            string stats = ExternalProcess.RunChecked(ip, ["netns", "exec", $"{name}-srv", ethtool, "-S", $"{name}s"], TimeSpan.FromSeconds(10));
            // Refused is the interface's transmit drops: a neighbour-discovery frame of the kernel's own that met the
            // full ring counts there too, so it may exceed the generator's refused frames by a few.
            Assert.InRange(Counter(stats, "rx_queue_0_xdp_drops"), sent - refused, sent);
        }
        finally
        {
            ExternalProcess.Run(pair, ["down", name], TimeSpan.FromSeconds(30));
            Directory.Delete(work, recursive: true);
        }
    }

    private static long Counter(string ethtoolStats, string name)
    {
        foreach (string line in ethtoolStats.Split('\n'))
        {
            string[] parts = line.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == name) return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"ethtool -S shows no {name}:\n{ethtoolStats}");
    }
}
