namespace FastNtp.LoadTest;

/// <summary>
/// One thread's counters for one step. Written only by its thread; the coordinator reads the live
/// fields for progress (a torn read there only shows a stale figure) and the whole object once the
/// thread has moved past the step.
/// </summary>
internal sealed class StepStats
{
    public long Sent;
    /// <summary>Requests the generator could not send on time (it fell behind its own schedule).</summary>
    public long Skipped;
    public long SendErrors;
    public long Replies;
    public long KissOfDeath;
    public long Invalid;
    public long Duplicates;
    /// <summary>Replies to requests of an earlier step or to requests whose slot was reused.</summary>
    public long Late;
    /// <summary>Reply sink: valid replies it passed up for full verification.</summary>
    public long Sampled;
    /// <summary>Reply sink: sampled replies that passed full verification and matched a request of this step (the latency sample).</summary>
    public long Verified;
    /// <summary>Reply sink: sampled replies the sink counted valid that full verification did not (counted again by reason).</summary>
    public long SampleRejected;
    public readonly long[] InvalidByVerdict = new long[Enum.GetValues<ReplyVerdict>().Length + 1];
    public readonly LatencyHistogram Latency = new();

    /// <summary>Index in <see cref="InvalidByVerdict"/> for replies whose origin matched no request.</summary>
    public static int UnknownOriginIndex => Enum.GetValues<ReplyVerdict>().Length;

    /// <summary>Invalid replies by reason, e.g. "BadMode=3, UnknownOrigin=1"; empty when none.</summary>
    public string DescribeInvalid()
    {
        var parts = new List<string>();
        foreach (ReplyVerdict v in Enum.GetValues<ReplyVerdict>())
            if (InvalidByVerdict[(int)v] > 0) parts.Add($"{v}={InvalidByVerdict[(int)v]}");
        if (InvalidByVerdict[UnknownOriginIndex] > 0) parts.Add($"UnknownOrigin={InvalidByVerdict[UnknownOriginIndex]}");
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Adds the reply sink's counts of this step: its valid replies less the sampled ones full verification rejected,
    /// its kiss-o'-death, late and invalid replies (by reason).
    /// </summary>
    public void AddSinkCounts(in ReplySinkCounts counts)
    {
        Replies += Math.Max(0, (long)counts.Valid - SampleRejected);
        Sampled += (long)counts.Sampled;
        KissOfDeath += (long)counts.KissOfDeath;
        Late += (long)counts.Late;
        for (int r = 0; r < ReplySinkCounts.ReasonCount; r++)
        {
            long n = (long)counts.InvalidOf((ReplySinkReason)r);
            Invalid += n;
            InvalidByVerdict[VerdictIndex((ReplySinkReason)r)] += n;
        }
    }

    private static int VerdictIndex(ReplySinkReason reason) => reason switch
    {
        ReplySinkReason.Malformed => (int)ReplyVerdict.MalformedFrame,
        ReplySinkReason.WrongClient => (int)ReplyVerdict.WrongClient,
        ReplySinkReason.BadLength => (int)ReplyVerdict.BadLength,
        ReplySinkReason.BadMode => (int)ReplyVerdict.BadMode,
        ReplySinkReason.BadVersion => (int)ReplyVerdict.BadVersion,
        ReplySinkReason.BadStratum => (int)ReplyVerdict.BadStratum,
        ReplySinkReason.ZeroTimestamp => (int)ReplyVerdict.ZeroTimestamp,
        ReplySinkReason.ReceiveAfterTransmit => (int)ReplyVerdict.ReceiveAfterTransmit,
        ReplySinkReason.UnknownOrigin => UnknownOriginIndex,
        ReplySinkReason.NtsUniqueId => (int)ReplyVerdict.NtsWrongUniqueId,
        ReplySinkReason.NtsNak => (int)ReplyVerdict.NtsNak,
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public void Add(StepStats other)
    {
        Sent += other.Sent;
        Skipped += other.Skipped;
        SendErrors += other.SendErrors;
        Replies += other.Replies;
        KissOfDeath += other.KissOfDeath;
        Invalid += other.Invalid;
        Duplicates += other.Duplicates;
        Late += other.Late;
        Sampled += other.Sampled;
        Verified += other.Verified;
        SampleRejected += other.SampleRejected;
        for (int i = 0; i < InvalidByVerdict.Length; i++) InvalidByVerdict[i] += other.InvalidByVerdict[i];
        Latency.Add(other.Latency);
    }
}

/// <summary>The figures reported for one step, summed over threads.</summary>
internal sealed record StepResult(
    int Index,
    double OfferedRate,
    double DurationSeconds,
    long Sent,
    long Skipped,
    long Replies,
    long KissOfDeath,
    long Invalid,
    long Duplicates,
    long Late,
    long P50Nanoseconds,
    long P99Nanoseconds,
    long P999Nanoseconds,
    long MaxNanoseconds,
    string InvalidReasons,
    double? ServerCpuSeconds = null,
    double? GeneratorCpuSeconds = null,
    double CpuWindowSeconds = 0,
    double? ServerUserCpuSeconds = null,
    double? ServerSystemCpuSeconds = null,
    long SendErrors = 0,
    double? ServerCoreBusySeconds = null,
    long Sampled = 0,
    long Verified = 0)
{
    /// <summary>How busy the server's CPU (<c>--server-cpu</c>) was over the window, whatever ran there; null without it.</summary>
    public double? ServerCoreBusyPercent => CpuWindowSeconds > 0 ? 100 * ServerCoreBusySeconds / CpuWindowSeconds : null;

    /// <summary>
    /// Valid replies per busy second of the server's CPU: the per-core figure that also counts work outside the
    /// server process (softirq, NAPI threads, an XDP program). Null without <c>--server-cpu</c> or when the core was idle.
    /// </summary>
    public double? RequestsPerServerCoreSecond => ServerCoreBusySeconds is double busy && busy > 0 ? Replies / busy : null;

    /// <summary>
    /// Share of one CPU the server used over the step and its drain (<see cref="CpuWindowSeconds"/>), from
    /// /proc/PID/stat; null without <c>--server-pid</c>. Over 100 means more than one core.
    /// </summary>
    public double? ServerCpuPercent => CpuWindowSeconds > 0 ? 100 * ServerCpuSeconds / CpuWindowSeconds : null;

    /// <summary>The generator's own CPU share over the same window (over 100: more than one core).</summary>
    public double? GeneratorCpuPercent => CpuWindowSeconds > 0 ? 100 * GeneratorCpuSeconds / CpuWindowSeconds : null;

    /// <summary>
    /// Valid replies per second of server CPU: the server's per-core capacity, independent of whether the
    /// generator or the server was the limit. Null without a CPU figure or when the server used none (10 ms resolution).
    /// </summary>
    public double? RequestsPerServerCpuSecond => ServerCpuSeconds is double cpu && cpu > 0 ? Replies / cpu : null;

    /// <summary>
    /// The server's user-space CPU (utime) per valid reply, in nanoseconds: the part each implementation controls,
    /// as the kernel's per-packet work lands in <see cref="ServerKernelNanosecondsPerRequest"/>. Null without a figure or replies.
    /// </summary>
    public double? ServerUserNanosecondsPerRequest => PerReply(ServerUserCpuSeconds);

    /// <summary>The server's kernel CPU (stime) per valid reply, in nanoseconds.</summary>
    public double? ServerKernelNanosecondsPerRequest => PerReply(ServerSystemCpuSeconds);

    private double? PerReply(double? seconds) => seconds is double s && Replies > 0 ? s * 1e9 / Replies : null;

    public double SentRate => DurationSeconds > 0 ? Sent / DurationSeconds : 0;

    /// <summary>Valid replies per second of step time.</summary>
    public double AnsweredRate => DurationSeconds > 0 ? Replies / DurationSeconds : 0;

    /// <summary>Share of sent requests without a valid reply (kiss-o'-death and invalid replies count as lost).</summary>
    public double LossPercent => Sent > 0 ? 100.0 * Math.Max(0, Sent - Replies) / Sent : 0;

    public static StepResult From(LoadStep step, StepStats total, CpuSample? cpu = null, double cpuWindowSeconds = 0) => new(
        step.Index,
        step.Rate,
        step.Duration.TotalSeconds,
        total.Sent,
        total.Skipped,
        total.Replies,
        total.KissOfDeath,
        total.Invalid,
        total.Duplicates,
        total.Late,
        total.Latency.ValueAtQuantile(0.50),
        total.Latency.ValueAtQuantile(0.99),
        total.Latency.ValueAtQuantile(0.999),
        total.Latency.Count == 0 ? 0 : total.Latency.Max,
        total.DescribeInvalid(),
        cpu?.ServerSeconds,
        cpu?.GeneratorSeconds,
        cpu is null ? 0 : cpuWindowSeconds,
        cpu?.Server?.UserSeconds,
        cpu?.Server?.SystemSeconds,
        total.SendErrors,
        cpu?.ServerCoreSeconds,
        total.Sampled,
        total.Verified);

    /// <summary>The step with the highest answered rate under <paramref name="maxLossPercent"/> loss (the first on a tie); null if none.</summary>
    public static StepResult? BestStep(IEnumerable<StepResult> steps, double maxLossPercent)
    {
        StepResult? best = null;
        foreach (StepResult s in steps)
            if (s.Sent > 0 && s.LossPercent < maxLossPercent && s.AnsweredRate > (best?.AnsweredRate ?? 0)) best = s;
        return best;
    }
}
