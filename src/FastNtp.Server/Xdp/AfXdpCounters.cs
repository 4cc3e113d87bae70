using FastNtp.Protocol.Frames;

namespace FastNtp.Server.Xdp;

/// <summary>
/// One AF_XDP worker's frame-level counts (what the responder did is in its <see cref="Metrics.WorkerCounters"/>).
/// Only the worker writes them; readers sum workers and tolerate a slightly stale view.
/// </summary>
public sealed class AfXdpCounters
{
#pragma warning disable CS0169, IDE0051 // Padding fields exist only to keep neighbouring objects off this cache line.
    private readonly long _padBefore0, _padBefore1, _padBefore2, _padBefore3, _padBefore4, _padBefore5, _padBefore6, _padBefore7;
#pragma warning restore CS0169, IDE0051

    public long Frames;
    /// <summary>Replies queued for transmit.</summary>
    public long Sent;
    /// <summary>TX wake-ups (sendto) the kernel refused for a reason other than being busy.</summary>
    public long WakeErrors;
    /// <summary>Frames whose receive time is the worker's pick-up reading: no valid stamp in front of them, or one out of bounds.</summary>
    public long Unstamped;
    /// <summary>Frames the codec refused, by <see cref="FrameError"/>; the worker recycles them unanswered.</summary>
    public readonly long[] FrameErrors = new long[FrameErrorCount];

#pragma warning disable CS0169, IDE0051
    private readonly long _padAfter0, _padAfter1, _padAfter2, _padAfter3, _padAfter4, _padAfter5, _padAfter6, _padAfter7;
#pragma warning restore CS0169, IDE0051

    internal static readonly int FrameErrorCount = Enum.GetValues<FrameError>().Length;
}

/// <summary>AF_XDP workers' counts, summed.</summary>
/// <param name="Sockets">Sockets bound, one per interface queue.</param>
/// <param name="ZeroCopy">Whether every socket is in zero-copy mode.</param>
/// <param name="Unstamped">Frames answered with the worker's pick-up reading as receive time instead of the XDP program's stamp.</param>
/// <param name="UnreturnedFrames">Frames not back from the kernel when the workers stopped (0 after a clean shutdown).</param>
public sealed record AfXdpTotals(
    int Sockets, bool ZeroCopy, long Frames, long Sent, long WakeErrors, long Unstamped, IReadOnlyDictionary<FrameError, long> FrameErrors,
    long UnreturnedFrames)
{
    public long TotalFrameErrors => FrameErrors.Values.Sum();
}
