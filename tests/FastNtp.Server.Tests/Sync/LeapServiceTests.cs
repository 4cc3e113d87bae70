using FastNtp.Interop.Clock;
using FastNtp.Protocol;
using FastNtp.Protocol.Leap;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Tests.Sync;

/// <summary>The leap-second file at run time, on a simulated clock and a simulated kernel: the machine's clock is never read for the leap or changed.</summary>
public sealed class LeapServiceTests : IDisposable
{
    private const long Day = 86_400;
    // 1 January 2027 00:00:00 UTC (NTP seconds): a test leap after tzdata's last entry.
    private const long LeapNtp = 4_007_750_400;
    private const long ExpiresNtp = LeapNtp + 180 * Day;

    private readonly LeapSecondFiles _files = new();
    private readonly SimulatedClock _time = new();
    private readonly FakeKernelClock _kernel = new();
    private readonly CountingLogger _logger = new();
    private readonly SnapshotPublisher _publisher = new(Upstream(LeapIndicator.NoWarning));

    public void Dispose() => _files.Dispose();

    /// <summary>What the synchronizer publishes with a selected upstream source announcing <paramref name="leap"/>.</summary>
    private static ServerSnapshot Upstream(LeapIndicator leap) =>
        ServerSnapshot.LocalClock(2, -20, NtpTimestamp.FromParts((uint)LeapNtp - 100_000, 0)) with
        {
            Leap = leap,
            ReferenceId = ReferenceId.FromAddress(System.Net.IPAddress.Parse("192.0.2.1")),
        };

    private string NextLeapFile(int taiOffsetAfter = 38) => _files.Write("leap-seconds.list", _files.WithNextLeap(LeapNtp, taiOffsetAfter, ExpiresNtp));

    private static ClockSettings Clock(string? file, ClockControl control = ClockControl.None, bool smear = false) =>
        new(control, 0.010, 0.128, 1000, 1, ReferenceId.FromAscii("GPS"), file, smear, TimeSpan.FromDays(1));

    private LeapService Service(ClockSettings clock) => new(clock, _publisher, _kernel, _logger, _time);

    /// <summary>Sets the simulated time to <paramref name="secondsFromLeap"/> around the test leap.</summary>
    private void At(double secondsFromLeap) =>
        _time.Time = NtpTimestamp.FromParts((uint)LeapNtp, 0) + NtpDuration.FromSeconds(secondsFromLeap);

    [Fact]
    public void MissingFile_IsAConfigurationErrorNamingTheOption()
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => Service(Clock(Path.Combine(_files.Directory, "absent.list"))));

        Assert.StartsWith("Clock:LeapFile: cannot read", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void LastDayBeforeTheLeap_IsAnnouncedAndOnlyThen()
    {
        using LeapService service = Service(Clock(NextLeapFile()));

        At(-Day - 1);
        service.Tick();
        Assert.Equal(LeapIndicator.NoWarning, _publisher.Current.Leap);
        Assert.Equal(37, _publisher.Current.TaiOffset);

        At(-Day);
        service.Tick();
        Assert.Equal(LeapIndicator.InsertSecond, _publisher.Current.Leap);
        Assert.Equal(LeapIndicator.InsertSecond, service.Status.Scheduled);

        At(1);
        service.Tick();
        Assert.Equal(LeapIndicator.NoWarning, _publisher.Current.Leap);
        Assert.Equal(38, _publisher.Current.TaiOffset);
        Assert.Empty(_kernel.Leaps);
    }

    [Fact]
    public void KernelControl_ArmsTheKernelOnTheLeapsDayAndDisarmsAfter()
    {
        using LeapService service = Service(Clock(NextLeapFile(), ClockControl.Kernel));

        foreach (double t in new double[] { -Day - 10, -Day - 5, -Day + 10, -5, 5, 10 })
        {
            At(t);
            service.Tick();
        }

        Assert.Equal([(0, 37), (1, 37), (0, 38)], _kernel.Leaps);
    }

    [Fact]
    public void UpstreamDisagreement_TheFileWinsAndItIsLoggedOncePerChange()
    {
        using LeapService service = Service(Clock(NextLeapFile()));
        At(-3600);

        for (int i = 0; i < 3; i++) service.Tick();
        Assert.Equal(LeapIndicator.InsertSecond, _publisher.Current.Leap);
        Assert.True(service.Status.UpstreamDisagrees);
        Assert.Equal(1, _logger.Count("Upstream majority"));

        _publisher.Publish(Upstream(LeapIndicator.InsertSecond));
        service.Tick();
        Assert.False(service.Status.UpstreamDisagrees);

        _publisher.Publish(Upstream(LeapIndicator.DeleteSecond));
        service.Tick();
        service.Tick();
        Assert.Equal(LeapIndicator.InsertSecond, _publisher.Current.Leap);
        Assert.Equal(2, _logger.Count("Upstream majority"));

        // A local clock has no view on leaps: nothing to disagree with.
        _publisher.Publish(ServerSnapshot.LocalClock(2, -20, NtpTimestamp.FromParts((uint)LeapNtp - 100_000, 0)));
        service.Tick();
        Assert.False(service.Status.UpstreamDisagrees);
    }

    [Fact]
    public void Smear_IsPublishedWithoutAnAnnouncementAndFollowsTheKernelThroughTheInsertedSecond()
    {
        using LeapService service = Service(Clock(NextLeapFile(), ClockControl.Kernel, smear: true));

        At(-3600);
        service.Tick();
        ServerSnapshot smearing = _publisher.Current;
        Assert.Equal(LeapIndicator.NoWarning, smearing.Leap);
        Assert.True(smearing.InLeapWindow);
        Assert.Equal(new LeapSmear(NtpTimestamp.FromParts((uint)LeapNtp, 0), 1, NtpDuration.FromSeconds(Day), false), smearing.Smear);
        // The kernel still inserts the second: the server's own clock keeps UTC.
        Assert.Equal((1, 37), _kernel.Leaps[^1]);
        Assert.True(service.Status.Smearing);

        // The clock repeats its last second; TIME_OOP says which pass it is.
        At(-0.5);
        _kernel.State = new KernelClockState(3, 0, 0, 0, 0, 0, 37);
        Assert.True(service.Tick() < TimeSpan.FromSeconds(1));
        Assert.True(_publisher.Current.Smear!.Value.ClockPastLeap);

        At(Day / 2 + LeapPlan.DriverMarginSeconds + 2);
        _kernel.State = default;
        service.Tick();
        Assert.Null(_publisher.Current.Smear);
        Assert.False(_publisher.Current.InLeapWindow);
    }

    [Fact]
    public void Reload_KeepsTheListInUseWhenTheNewFileIsBad()
    {
        string path = NextLeapFile();
        using LeapService service = Service(Clock(path));
        At(-3600);
        service.Tick();

        File.WriteAllText(path, _files.OriginalText.Replace("#h", "#", StringComparison.Ordinal));
        Assert.Contains("no #h hash line", service.Reload());
        Assert.Equal(LeapIndicator.InsertSecond, _publisher.Current.Leap);

        File.WriteAllText(path, _files.WithExpiry(ExpiresNtp));
        Assert.Null(service.Reload());
        Assert.Equal(LeapIndicator.NoWarning, _publisher.Current.Leap);
    }

    [Fact]
    public void Expiry_IsWarnedFourWeeksAheadOnceAndReported()
    {
        using LeapService service = Service(Clock(NextLeapFile()));
        long secondsToExpiry = (ExpiresNtp - LeapNtp) - (long)LeapPlan.ExpiryWarning.TotalSeconds;

        At(secondsToExpiry - 1);
        service.Tick();
        Assert.False(service.Status.ExpiresSoon);
        At(secondsToExpiry);
        service.Tick();
        service.Tick();
        Assert.True(service.Status.ExpiresSoon);
        Assert.False(service.Status.Expired);
        Assert.Equal(1, _logger.Count("expires"));
    }

    [Fact]
    public void ExpiredFile_StartsWithOneErrorAndStillServesItsOffset()
    {
        // tzdata's own copy, a day after its #@ line: accepted at start (an old tzdata must not stop a time server).
        using LeapService service = Service(Clock(_files.Original));
        Assert.True(LeapSecondList.TryParse(_files.OriginalText, out LeapSecondList? list).IsValid);
        _publisher.Publish(Upstream(LeapIndicator.InsertSecond));
        _time.Time = NtpTimestamp.FromParts((uint)(list!.ExpiresNtpSeconds + Day), 0);

        service.Tick();
        service.Tick();

        Assert.True(service.Status.Expired);
        Assert.Equal(1, _logger.Count("expired"));
        Assert.Equal(37, _publisher.Current.TaiOffset);
        // The file has no say on leaps after its expiry: upstream's announcement is served.
        Assert.Equal(LeapIndicator.InsertSecond, _publisher.Current.Leap);
        Assert.False(service.Status.UpstreamDisagrees);
    }

    [Theory]
    [InlineData("bad-hash")]
    [InlineData("truncated")]
    public void InvalidFile_IsOneSettingsErrorLine(string variant)
    {
        string text = variant == "bad-hash"
            ? _files.OriginalText.Replace("#@\t", "#@\t1", StringComparison.Ordinal)
            : _files.OriginalText[.._files.OriginalText.IndexOf("2871676800", StringComparison.Ordinal)];
        string path = _files.Write(variant, text);

        ConfigurationException e = Assert.Throws<ConfigurationException>(() =>
            ConfigurationLoader.Load(null, [], new Dictionary<string, string?> { ["FASTNTP__CLOCK__LEAPFILE"] = path }));

        Assert.Contains($"Clock:LeapFile: {path}:", e.Message);
    }

    [Fact]
    public void SmearSettings_AreChecked()
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(null, [], new Dictionary<string, string?>
        {
            ["FASTNTP__CLOCK__LEAPSMEAR"] = "true",
            ["FASTNTP__CLOCK__LEAPSMEARWINDOW"] = "00:00:30",
        }));

        Assert.Contains(e.Errors, line => line.StartsWith("Clock:LeapSmear: needs Clock:LeapFile", StringComparison.Ordinal));
        Assert.Contains(e.Errors, line => line.StartsWith("Clock:LeapSmearWindow: 00:00:30 is not between", StringComparison.Ordinal));
    }

    private sealed class SimulatedClock : IClock
    {
        public NtpTimestamp Time { get; set; }

        public NtpTimestamp Now() => Time;
    }

    private sealed class CountingLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public int Count(string fragment)
        {
            lock (_messages) return _messages.Count(m => m.Contains(fragment, StringComparison.Ordinal));
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages) _messages.Add(formatter(state, exception));
        }
    }
}
