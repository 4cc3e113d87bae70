using System.ComponentModel;
using FastNtp.Interop.Clock;
using FastNtp.Protocol;
using FastNtp.Protocol.Leap;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Sync;

/// <summary>The leap-second file's state as /status and /metrics would show it.</summary>
/// <param name="Expires">When the file stops being valid (UTC).</param>
/// <param name="ExpiresSoon">Within <see cref="LeapPlan.ExpiryWarning"/> of expiring, or expired.</param>
/// <param name="Scheduled">The leap the file schedules at the end of today (UTC).</param>
/// <param name="Smearing">Served time is being smeared now.</param>
/// <param name="UpstreamDisagrees">The upstream majority announces another leap than the file (the file wins).</param>
public sealed record LeapStatus(
    string Path, int TaiOffset, DateTime Expires, bool ExpiresSoon, bool Expired, LeapIndicator Scheduled, bool Smearing, bool UpstreamDisagrees);

/// <summary>
/// Clock:LeapFile at run time: once a second (every 50 ms within seconds of a leap, so a smear follows the
/// kernel's inserted second closely) it applies the file's <see cref="LeapAnnouncement"/> to the published
/// snapshot, arms the kernel's leap (clock control kernel only), compares the file with the upstream majority
/// and warns as the file nears its expiry. <see cref="Reload"/> is the seam for SIGHUP.
/// </summary>
public sealed partial class LeapService : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan NearLeapInterval = TimeSpan.FromMilliseconds(50);

    private readonly ClockSettings _clock;
    private readonly SnapshotPublisher _publisher;
    private readonly IKernelClock _kernel;
    private readonly IClock _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _stop = new();
    private LeapPlan _plan;
    private LeapStatus _status;
    private Thread? _thread;
    private (int Direction, int TaiOffset)? _kernelLeap;
    private (LeapIndicator File, LeapIndicator Upstream)? _disagreement;
    private bool _warnedExpiry;

    /// <param name="clock">Its <see cref="ClockSettings.LeapFile"/> must be set.</param>
    /// <param name="kernel">Read for the leap's progress; changed only with clock control kernel.</param>
    /// <param name="time">The time source; the system clock when null.</param>
    /// <exception cref="ConfigurationException">The file is missing, unreadable or invalid.</exception>
    public LeapService(ClockSettings clock, SnapshotPublisher publisher, IKernelClock kernel, ILogger? logger = null, IClock? time = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        string path = clock.LeapFile ?? throw new ArgumentException("No Clock:LeapFile.", nameof(clock));
        _clock = clock;
        _publisher = publisher;
        _kernel = kernel;
        _time = time ?? new RealtimeClock();
        _logger = logger ?? NullLogger.Instance;
        if (LeapFile.Load(path, out LeapSecondList? list) is { } error) throw new ConfigurationException($"Clock:LeapFile: {error}");
        _plan = NewPlan(list!);
        _status = StatusOf(_plan, UnixNanoseconds(_plan), false, LeapIndicator.NoWarning, false);
    }

    public LeapStatus Status => Volatile.Read(ref _status);

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The leap service is already running.");
        LeapSecondList list = _plan.List;
        LogLoaded(_logger, _clock.LeapFile!, list.Entries[^1].TaiOffset, DateTime.UnixEpoch.AddSeconds(list.ExpiresUnixSeconds));
        Tick();
        _thread = new Thread(Run) { IsBackground = true, Name = "fastntp-leap" };
        _thread.Start();
    }

    /// <summary>Reads the file again; on failure the list in use stays and the reason is returned (and logged).</summary>
    public string? Reload()
    {
        string? error = LeapFile.Load(_clock.LeapFile!, out LeapSecondList? list);
        if (error is not null)
        {
            LogReloadFailed(_logger, error);
            return error;
        }

        lock (_lock)
        {
            _plan = NewPlan(list!);
            _warnedExpiry = false;
        }

        LogLoaded(_logger, _clock.LeapFile!, list!.Entries[^1].TaiOffset, DateTime.UnixEpoch.AddSeconds(list.ExpiresUnixSeconds));
        Tick();
        return null;
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Wait(Tick())) { }
    }

    /// <summary>One pass; returns how long to wait until the next.</summary>
    internal TimeSpan Tick()
    {
        lock (_lock)
        {
            long now = UnixNanoseconds(_plan);
            long nowSeconds = now / 1_000_000_000;
            bool leapApplied = ReadKernel() is { LeapApplied: true };
            LeapAnnouncement announcement = _plan.At(now, leapApplied);
            _publisher.Announce(announcement);
            if (_clock.Control == ClockControl.Kernel) ArmKernel(announcement);

            ServerSnapshot source = _publisher.Source;
            bool fileHasSay = !_plan.IsExpired(nowSeconds) || announcement.Scheduled != LeapIndicator.NoWarning;
            // A local clock (LOCL) has no view on leaps to disagree with.
            bool disagrees = fileHasSay && source.IsSynchronized && source.ReferenceId != ReferenceId.Local
                && source.Leap != announcement.Scheduled;
            if (!disagrees)
            {
                _disagreement = null;
            }
            else if (_disagreement != (announcement.Scheduled, source.Leap))
            {
                _disagreement = (announcement.Scheduled, source.Leap);
                LogDisagreement(_logger, source.Leap, announcement.Scheduled);
            }

            WarnExpiry(nowSeconds);
            Volatile.Write(ref _status, StatusOf(_plan, now, announcement.Smear is not null, announcement.Scheduled, disagrees));
            return _plan.IsNearLeap(nowSeconds) ? NearLeapInterval : Interval;
        }
    }

    private LeapPlan NewPlan(LeapSecondList list) =>
        new(list, _clock.LeapSmear ? NtpDuration.FromSeconds(_clock.LeapSmearWindow.TotalSeconds) : null);

    private long UnixNanoseconds(LeapPlan plan) => _time.Now().ToUnixNanoseconds(plan.List.ExpiresUnixSeconds * 1_000_000_000);

    private KernelClockState? ReadKernel()
    {
        try
        {
            return _kernel.Read();
        }
        catch (Exception e) when (e is Win32Exception or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The kernel inserts or deletes the second at the midnight after it is armed, so it is armed on the leap's day only.</summary>
    private void ArmKernel(LeapAnnouncement announcement)
    {
        int direction = announcement.Scheduled switch
        {
            LeapIndicator.InsertSecond => 1,
            LeapIndicator.DeleteSecond => -1,
            _ => 0,
        };
        if (_kernelLeap == (direction, announcement.TaiOffset)) return;
        try
        {
            _kernel.SetLeap(direction, announcement.TaiOffset);
            _kernelLeap = (direction, announcement.TaiOffset);
            if (direction != 0) LogKernelArmed(_logger, announcement.Scheduled, announcement.TaiOffset);
        }
        catch (Win32Exception e)
        {
            _kernelLeap = (direction, announcement.TaiOffset);
            LogKernelFailed(_logger, e.Message);
        }
    }

    private void WarnExpiry(long nowSeconds)
    {
        if (_warnedExpiry || !_plan.ExpiresSoon(nowSeconds)) return;
        _warnedExpiry = true;
        DateTime expires = DateTime.UnixEpoch.AddSeconds(_plan.List.ExpiresUnixSeconds);
        if (_plan.IsExpired(nowSeconds)) LogExpired(_logger, _clock.LeapFile!, expires);
        else LogExpiresSoon(_logger, _clock.LeapFile!, expires);
    }

    private LeapStatus StatusOf(LeapPlan plan, long now, bool smearing, LeapIndicator scheduled, bool disagrees)
    {
        long seconds = now / 1_000_000_000;
        return new LeapStatus(_clock.LeapFile!, plan.List.TaiOffsetAt(seconds), DateTime.UnixEpoch.AddSeconds(plan.List.ExpiresUnixSeconds),
            plan.ExpiresSoon(seconds), plan.IsExpired(seconds), scheduled, smearing, disagrees);
    }

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "Leap-second file {Path} loaded: TAI-UTC {TaiOffset} s after its last entry, valid until {Expires:u}")]
    private static partial void LogLoaded(ILogger logger, string path, int taiOffset, DateTime expires);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Error, Message = "Leap-second file not reloaded, the previous one stays in use: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Warning, Message = "Leap-second file {Path} expires {Expires:u}: install a current one (Debian: tzdata)")]
    private static partial void LogExpiresSoon(ILogger logger, string path, DateTime expires);

    [LoggerMessage(EventId = 1044, Level = LogLevel.Error, Message = "Leap-second file {Path} expired {Expires:u}: leaps it does not list are taken from upstream; install a current one (Debian: tzdata)")]
    private static partial void LogExpired(ILogger logger, string path, DateTime expires);

    [LoggerMessage(EventId = 1045, Level = LogLevel.Warning, Message = "Upstream majority announces leap {Upstream}, the leap-second file says {File}: serving the file's")]
    private static partial void LogDisagreement(ILogger logger, LeapIndicator upstream, LeapIndicator file);

    [LoggerMessage(EventId = 1046, Level = LogLevel.Information, Message = "Kernel armed for a leap second at midnight UTC ({Leap}), TAI-UTC {TaiOffset} s until then")]
    private static partial void LogKernelArmed(ILogger logger, LeapIndicator leap, int taiOffset);

    [LoggerMessage(EventId = 1047, Level = LogLevel.Error, Message = "Passing the leap second to the kernel failed: {Reason}")]
    private static partial void LogKernelFailed(ILogger logger, string reason);
}
