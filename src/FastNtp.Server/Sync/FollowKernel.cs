using FastNtp.Interop.Clock;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Sync;

/// <summary>
/// clock.control follow-kernel: the system clock is disciplined by another program (chrony, ntpd-rs, ptp4l),
/// and the kernel's own NTP state says whether to trust it.
/// </summary>
public static class FollowKernel
{
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
}
