using System.ComponentModel;
using FastNtp.Interop.Clock;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Sync;

/// <summary>
/// Clock control follow-kernel: another program (chrony, ntpd-rs, ptp4l) disciplines the system clock, and the
/// kernel's own NTP state says whether to trust it. Every second this reads that state and publishes what it
/// means; it polls no upstream and never changes the clock.
/// </summary>
public sealed partial class FollowKernelLoop(
    IKernelClock kernel, byte stratum, ReferenceId referenceId, SnapshotPublisher publisher, sbyte precision,
    ILogger? logger = null, IClock? time = null) : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly IClock _time = time ?? new RealtimeClock();
    private Timer? _timer;

    public void Start()
    {
        if (_timer is not null) throw new InvalidOperationException("The loop is already running.");
        Refresh();
        _timer = new Timer(_ => Refresh(), null, Interval, Interval);
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>Maps the kernel state to what we advertise: unsynchronized while STA_UNSYNC or TIME_ERROR.</summary>
    /// <remarks>The daemon's maxerror already bounds the whole error to the primary source, so it becomes the root dispersion.</remarks>
    public static ServerSnapshot ToSnapshot(KernelClockState state, byte stratum, ReferenceId referenceId, sbyte precision, NtpTimestamp now)
    {
        if (state.IsUnsynchronized || state.MaxErrorSeconds >= 16) return ServerSnapshot.Unsynchronized(precision);
        return new ServerSnapshot
        {
            Leap = state.InsertLeap ? LeapIndicator.InsertSecond : state.DeleteLeap ? LeapIndicator.DeleteSecond : LeapIndicator.NoWarning,
            Stratum = stratum,
            Precision = precision,
            RootDelay = NtpDuration.Zero,
            RootDispersion = NtpDuration.FromSeconds(state.MaxErrorSeconds),
            ReferenceId = referenceId,
            ReferenceTime = now,
        };
    }

    private void Refresh()
    {
        try
        {
            publisher.Publish(ToSnapshot(kernel.Read(), stratum, referenceId, precision, _time.Now()));
        }
        catch (Exception e) when (e is Win32Exception or PlatformNotSupportedException)
        {
            LogKernelFailed(_logger, e.Message);
            publisher.Publish(ServerSnapshot.Unsynchronized(precision));
        }
    }

    [LoggerMessage(EventId = 1031, Level = LogLevel.Error, Message = "Reading the kernel clock state failed: {Reason}")]
    private static partial void LogKernelFailed(ILogger logger, string reason);
}
