using System.Text.Json;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;
using FastNtp.Server.Tests.Configuration;
using static FastNtp.Tests.Shared.FakeNtpServer;

namespace FastNtp.Server.Tests.Sync;

public class SynchronizerTests
{
    private const sbyte Precision = -20;

    private static FastNtpSettings Settings(IEnumerable<int> ports, params (string Key, string Value)[] more) =>
        TestSettings.Load([.. ports.Select((p, i) => ($"Sync:Upstream:{i}", $"127.0.0.1:{p}")), ("Sync:MinPoll", "-4"), ("Sync:MaxPoll", "-2"), .. more]);

    private static (Synchronizer Sync, SnapshotPublisher Publisher) Start(IEnumerable<int> ports, byte? localStratum = null)
    {
        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(Precision));
        FastNtpSettings settings = Settings(ports);
        var synchronizer = new Synchronizer(settings.Sync, settings.Clock, localStratum, publisher, Precision);
        synchronizer.Start();
        return (synchronizer, publisher);
    }

    private static bool WaitFor(Func<bool> condition, double seconds) => Poll.Until(condition, TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Synchronizer_SynchronizesToALoopbackUpstreamAndAdvertisesItsAddress()
    {
        using var upstream = new FakeNtpServer(r => [Encode(GoodReply(r))]);
        (Synchronizer sync, SnapshotPublisher publisher) = Start([upstream.Port]);
        using (sync)
        {
            Assert.True(WaitFor(() => publisher.Current.IsSynchronized, 20), "never synchronized");
            ServerSnapshot s = publisher.Current;
            Assert.Equal(2, s.Stratum);
            Assert.Equal("127.0.0.1", s.ReferenceId.ToString(s.Stratum));
            Assert.Equal(LeapIndicator.NoWarning, s.Leap);
            Assert.True(s.RootDispersion >= NtpDuration.FromMilliseconds(1), "the upstream's root dispersion is included");

            SourceStatus source = Assert.Single(sync.Sources);
            Assert.Equal(SourceState.Selected, source.State);
            Assert.Equal($"127.0.0.1:{upstream.Port}", source.Address);
            Assert.NotEqual(0, source.Reach);
            Assert.Equal(1, source.Stratum);
            string json = JsonSerializer.Serialize(sync.Sources);
            Assert.Contains("\"State\":\"Selected\"", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void HostileReplies_AreIgnoredAndTheGenuineOneStillCounts()
    {
        using var upstream = new FakeNtpServer(r =>
        [
            Encode(GoodReply(r))[..40],
            Encode(GoodReply(r) with { Mode = NtpMode.Client }),
            Encode(GoodReply(r) with { OriginTime = new NtpTimestamp(r.TransmitTime.Value + 1) }),
            Encode(GoodReply(r) with { Stratum = 0, ReferenceId = ReferenceId.Deny, OriginTime = NtpTimestamp.Zero }),
            Encode(GoodReply(r)),
        ]);
        (Synchronizer sync, SnapshotPublisher publisher) = Start([upstream.Port]);
        using (sync)
        {
            Assert.True(WaitFor(() => publisher.Current.IsSynchronized, 20), "never synchronized");
            Assert.Equal(SourceState.Selected, Assert.Single(sync.Sources).State);
        }
    }

    [Theory]
    [InlineData("zero-transmit")]
    [InlineData("unknown-kiss")]
    [InlineData("leap-alarm")]
    [InlineData("stratum-16")]
    public void UpstreamWithNoUsableTime_NeverSynchronizes(string kind)
    {
        using var upstream = new FakeNtpServer(r => [Encode(kind switch
        {
            "zero-transmit" => GoodReply(r) with { TransmitTime = NtpTimestamp.Zero },
            "unknown-kiss" => GoodReply(r) with { Stratum = 0, ReferenceId = ReferenceId.FromAscii("XYZZ") },
            "leap-alarm" => GoodReply(r) with { Leap = LeapIndicator.Unsynchronized },
            _ => GoodReply(r) with { Stratum = 16 },
        })]);
        (Synchronizer sync, SnapshotPublisher publisher) = Start([upstream.Port]);
        using (sync)
        {
            // Enough polls (at 1/16 s) for a healthy source to synchronize several times over.
            Assert.True(WaitFor(() => upstream.Requests >= 12, 20));
            Assert.False(publisher.Current.IsSynchronized);
            Assert.Equal(ServerSnapshot.Unsynchronized(Precision), publisher.Current);
            Assert.Equal(0, Assert.Single(sync.Sources).Reach);
        }
    }

    [Fact]
    public void DenyKiss_DropsTheSource()
    {
        using var upstream = new FakeNtpServer(r => [Encode(GoodReply(r) with { Stratum = 0, ReferenceId = ReferenceId.Deny })]);
        (Synchronizer sync, SnapshotPublisher publisher) = Start([upstream.Port]);
        using (sync)
        {
            Assert.True(WaitFor(() => sync.Sources.Count == 1 && sync.Sources[0].State == SourceState.Denied, 20));
            int requests = upstream.Requests;
            // Sixteen poll intervals later, nothing more was sent.
            Thread.Sleep(1000);
            Assert.Equal(requests, upstream.Requests);
            Assert.False(publisher.Current.IsSynchronized);
        }
    }

    [Fact]
    public void LosingTheUpstream_FallsBackToTheLocalStratum()
    {
        using var upstream = new FakeNtpServer(r => [Encode(GoodReply(r))]);
        (Synchronizer sync, SnapshotPublisher publisher) = Start([upstream.Port], localStratum: 9);
        using (sync)
        {
            Assert.True(WaitFor(() => publisher.Current.Stratum == 2, 20));
            upstream.Answer = _ => [];
            Assert.True(WaitFor(() => publisher.Current.Stratum == 9, 30), "never fell back");
            Assert.Equal(ReferenceId.Local, publisher.Current.ReferenceId);
        }
    }

    [Theory]
    [InlineData("ntp.example.org", "ntp.example.org", 123, false)]
    [InlineData("ntp.example.org:1123,nts", "ntp.example.org", 1123, true)]
    [InlineData("192.0.2.1:10123", "192.0.2.1", 10123, false)]
    [InlineData("[2001:db8::1]:124", "2001:db8::1", 124, false)]
    [InlineData("[2001:db8::1],nts", "2001:db8::1", 4460, true)]
    public void UpstreamSpecs_Parse(string text, string host, int port, bool nts)
    {
        Assert.True(UpstreamSpec.TryParse(text, out UpstreamSpec? spec));
        Assert.Equal(new UpstreamSpec(host, port, nts), spec);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host,ntx")]
    [InlineData("host, nts")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("[2001:db8::1")]
    public void BadUpstreamSpecs_AreRefused(string text)
    {
        Assert.False(UpstreamSpec.TryParse(text, out _));
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => TestSettings.Load(("Sync:Upstream:0", text)));
        Assert.Equal($"--upstream: '{text}' is not HOST[:PORT][,nts]", e.Message);
    }

    [Fact]
    public void FollowKernel_MirrorsTheKernelState()
    {
        var kernel = new FakeKernelClock { State = new Interop.Clock.KernelClockState(0, 0, 1.5, 0.002, 0.0001, 0, 37) };
        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(Precision));
        using (var loop = new FollowKernelLoop(kernel, 1, ReferenceId.FromAscii("PPS"), publisher, Precision))
        {
            loop.Start();
            Assert.True(WaitFor(() => publisher.Current.IsSynchronized, 10));
            ServerSnapshot s = publisher.Current;
            Assert.Equal(1, s.Stratum);
            Assert.Equal(ReferenceId.FromAscii("PPS"), s.ReferenceId);
            Assert.Equal(0.002, s.RootDispersion.TotalSeconds, 6);

            // STA_UNSYNC set by the daemon: we stop claiming time within a second or two.
            kernel.State = kernel.State with { Status = 0x0040 };
            Assert.True(WaitFor(() => !publisher.Current.IsSynchronized, 10));
        }

        Assert.Equal(0, kernel.Modifications);
    }

    [Fact]
    public void KernelControl_DrivesOnlyTheInjectedKernelClock()
    {
        // The upstream runs 0.5 s ahead, beyond the step threshold: one start-up step, then frequency updates.
        using var upstream = new FakeNtpServer(r =>
        {
            NtpHeader honest = GoodReply(r);
            return [Encode(honest with
            {
                ReceiveTime = honest.ReceiveTime + NtpDuration.FromSeconds(0.5),
                TransmitTime = honest.TransmitTime + NtpDuration.FromSeconds(0.5),
            })];
        });
        var kernel = new FakeKernelClock { State = new Interop.Clock.KernelClockState(0, 0x0040, 3.0, 16, 16, 0, 0) };
        var publisher = new SnapshotPublisher(ServerSnapshot.Unsynchronized(Precision));
        FastNtpSettings settings = Settings([upstream.Port], ("Clock:Control", "kernel"));
        using (var synchronizer = new Synchronizer(settings.Sync, settings.Clock, null, publisher, Precision, kernel: kernel))
        {
            synchronizer.Start();
            Assert.True(WaitFor(() => kernel.Steps.Length > 0, 20), "no step");
            // Loopback under load adds milliseconds of asymmetry, not tens.
            Assert.InRange(kernel.Steps[0].TotalSeconds, 0.45, 0.55);
            // The (fake) clock never moved, so later measurements still show 0.5 s: slewed, never stepped again.
            // The first write is the start-up permission probe: the kernel's own frequency, unchanged.
            Assert.True(WaitFor(() => kernel.Frequencies.Length > 3, 20), "no frequency updates");
            Assert.Single(kernel.Steps);
            Assert.Equal(3.0, kernel.Frequencies[0]);
            Assert.All(kernel.Frequencies, f => Assert.InRange(f, -500, 500));
            Assert.True(kernel.Frequencies[^1] > 3.0, "a clock behind is sped up from the kernel's starting frequency");
        }
    }
}
