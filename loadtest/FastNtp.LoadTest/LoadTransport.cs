namespace FastNtp.LoadTest;

/// <summary>Where a load thread's verified replies go: its tracker and the counters of the step in progress.</summary>
internal interface IReplySink
{
    /// <summary>Counts one received reply: its verdict, the origin it echoes and when it arrived (Stopwatch ticks).</summary>
    void Account(ReplyVerdict verdict, ulong origin, long nowTicks);
}

/// <summary>
/// How one load thread moves requests and replies: UDP sockets (<see cref="UdpTransport"/>) or raw Ethernet frames
/// on an interface (<see cref="RawFrameTransport"/>). The thread keeps the schedule, the tracker and the counters.
/// </summary>
internal interface ILoadTransport : IDisposable
{
    /// <summary>
    /// Builds and sends <paramref name="count"/> requests (at most the batch size) whose transmit timestamps come from
    /// <paramref name="tracker"/>; returns how many left, <paramref name="failed"/> how many the kernel refused.
    /// </summary>
    int Send(int count, RequestTracker tracker, uint ntpSeconds, long nowTicks, int step, out int failed);

    /// <summary>Waits up to <paramref name="timeoutNanoseconds"/> for replies, then verifies every waiting reply and hands it to <paramref name="sink"/>.</summary>
    void Receive(long timeoutNanoseconds, IReplySink sink);

    /// <summary>
    /// True when replies are counted outside the thread (the raw-frame reply sink, in the driver) and
    /// <see cref="Receive"/> hands over only a sample of the valid ones, for full verification and latency.
    /// </summary>
    bool SamplesReplies => false;

    /// <summary>Non-null when the transport paces its requests itself (the XDP sender); <see cref="Send"/> is then not used.</summary>
    IPacedSender? PacedSender => null;

    /// <summary>Called once the thread is past timeline entry <paramref name="entry"/> and its drain: adds what was counted outside the thread to <paramref name="stats"/>.</summary>
    void CompleteEntry(int entry, StepStats stats)
    {
    }
}

/// <summary>
/// A sender that offers a timeline entry's requests at its rate by itself (the XDP sender's program reads the clock
/// per frame), rather than in the bursts the load thread hands it, though in bursts of the same size.
/// </summary>
internal interface IPacedSender
{
    /// <summary>
    /// Starts entry <paramref name="entry"/>: <paramref name="rate"/> requests/s from <paramref name="startTicks"/> to
    /// <paramref name="endTicks"/> (Stopwatch), none sent until <paramref name="burst"/> are due (except the entry's
    /// last); requests too far behind (the sender's own limit) are skipped.
    /// </summary>
    void BeginEntry(int entry, double rate, long startTicks, long endTicks, int burst);

    /// <summary>Sends what falls due for a while (milliseconds), tracking in <paramref name="tracker"/> the requests whose replies the thread will see.</summary>
    void SendDue(RequestTracker tracker);

    /// <summary>Requests of the entry sent so far, <see cref="Refused"/> included.</summary>
    long Sent { get; }

    /// <summary>
    /// Of <see cref="Sent"/>, requests the receiving side refused so far (a veth peer's ring was full): sent by the
    /// generator and lost at the server, as frames a NIC misses are, so they count as sent and unanswered.
    /// </summary>
    long Refused { get; }

    /// <summary>Requests of the entry skipped so far (more than the backlog behind).</summary>
    long Skipped { get; }

    /// <summary>Every request of the entry is sent or skipped.</summary>
    bool EntryComplete { get; }
}
