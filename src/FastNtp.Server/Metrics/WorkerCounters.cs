using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Metrics;

/// <summary>
/// One worker's counters. Only its worker writes them (plain increments, no interlocked traffic); readers
/// sum all workers on demand and tolerate a torn, slightly stale view. Each instance is its own heap
/// object, padded so two workers' counters never share a cache line.
/// </summary>
public sealed class WorkerCounters
{
#pragma warning disable CS0169, IDE0051 // Padding fields exist only to keep neighbouring objects off this cache line.
    private readonly long _padBefore0, _padBefore1, _padBefore2, _padBefore3, _padBefore4, _padBefore5, _padBefore6, _padBefore7;
#pragma warning restore CS0169, IDE0051

    public long Received;
    public long Answered;
    public long ReceiveErrors;
    public long SendErrors;
    /// <summary>Batches received; Received / Batches is the mean batch size.</summary>
    public long Batches;
    /// <summary>Batches or packets abandoned because an exception escaped (a bug); the worker carries on.</summary>
    public long Faults;
    /// <summary>Turns of the receive loop, idle timeouts included: the watchdog's evidence that the worker lives.</summary>
    public long Loops;
    public readonly long[] Dropped = new long[DropReasons.Count];
    /// <summary>NTS outcomes (<see cref="ResponderResult.Nts"/>); NTS rejections are <see cref="DropReason.NtsInvalid"/> drops.</summary>
    public long NtsAuthenticated;
    public long NtsNaks;
    public long NtsSessionKeyLoads;
    /// <summary>Interleaved replies (the previous reply's transmit time), and kernel transmit stamps matched to their reply.</summary>
    public long Interleaved;
    public long TransmitStamps;
    /// <summary>Requests the client policy refused, indexed by <see cref="PolicyCounter"/>.</summary>
    public readonly long[] Refused = new long[PolicyDecisions.CounterCount];

#pragma warning disable CS0169, IDE0051
    private readonly long _padAfter0, _padAfter1, _padAfter2, _padAfter3, _padAfter4, _padAfter5, _padAfter6, _padAfter7;
#pragma warning restore CS0169, IDE0051

    public void Count(in ResponderResult result)
    {
        if (result.ShouldRespond) Answered++;
        else Dropped[(int)result.Reason]++;
        if (result.Nts == NtsOutcome.None) return;
        if ((result.Nts & NtsOutcome.Authenticated) != 0) NtsAuthenticated++;
        if ((result.Nts & NtsOutcome.Nak) != 0) NtsNaks++;
        if ((result.Nts & NtsOutcome.SessionKeysLoaded) != 0) NtsSessionKeyLoads++;
    }
}

/// <summary>A point-in-time sum over workers.</summary>
public sealed record CounterTotals(
    long Received, long Answered, long ReceiveErrors, long SendErrors, long Batches, IReadOnlyDictionary<DropReason, long> Dropped)
{
    public long TotalDropped => Dropped.Values.Sum();

    /// <summary>Sum of <see cref="WorkerCounters.Faults"/>: exceptions a worker caught and survived.</summary>
    public long Faults { get; init; }

    public long NtsAuthenticated { get; init; }
    public long NtsNaks { get; init; }
    public long NtsSessionKeyLoads { get; init; }
    public long Interleaved { get; init; }
    public long TransmitStamps { get; init; }
    /// <summary>Requests the client policy refused, by outcome; every outcome present, from 0.</summary>
    public PolicyTotals Refused { get; init; } = new(0, 0, 0, 0);

    public static CounterTotals Sum(IEnumerable<WorkerCounters> workers)
    {
        long received = 0, answered = 0, receiveErrors = 0, sendErrors = 0, batches = 0, faults = 0, authenticated = 0, naks = 0, keyLoads = 0, interleaved = 0, stamps = 0;
        long[] dropped = new long[DropReasons.Count];
        long[] refused = new long[PolicyDecisions.CounterCount];
        foreach (WorkerCounters w in workers)
        {
            received += Volatile.Read(ref w.Received);
            answered += Volatile.Read(ref w.Answered);
            receiveErrors += Volatile.Read(ref w.ReceiveErrors);
            sendErrors += Volatile.Read(ref w.SendErrors);
            batches += Volatile.Read(ref w.Batches);
            faults += Volatile.Read(ref w.Faults);
            authenticated += Volatile.Read(ref w.NtsAuthenticated);
            naks += Volatile.Read(ref w.NtsNaks);
            keyLoads += Volatile.Read(ref w.NtsSessionKeyLoads);
            interleaved += Volatile.Read(ref w.Interleaved);
            stamps += Volatile.Read(ref w.TransmitStamps);
            for (int i = 0; i < dropped.Length; i++) dropped[i] += Volatile.Read(ref w.Dropped[i]);
            for (int i = 0; i < refused.Length; i++) refused[i] += Volatile.Read(ref w.Refused[i]);
        }

        var byReason = new Dictionary<DropReason, long>();
        for (int i = 1; i < dropped.Length; i++)
        {
            if (dropped[i] != 0) byReason[(DropReason)i] = dropped[i];
        }

        return new CounterTotals(received, answered, receiveErrors, sendErrors, batches, byReason)
        {
            Faults = faults,
            NtsAuthenticated = authenticated,
            NtsNaks = naks,
            NtsSessionKeyLoads = keyLoads,
            Interleaved = interleaved,
            TransmitStamps = stamps,
            Refused = new PolicyTotals(
                refused[(int)PolicyCounter.RateLimitedKiss], refused[(int)PolicyCounter.RateLimitedDrop],
                refused[(int)PolicyCounter.Denied], refused[(int)PolicyCounter.NtsRequired]),
        };
    }

    /// <summary>The one-line summary `fastntp serve` prints on exit.</summary>
    public override string ToString()
    {
        string drops = Dropped.Count == 0
            ? "none"
            : string.Join(", ", Dropped.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
        return $"received={Received} answered={Answered} dropped={TotalDropped} ({drops}) receive-errors={ReceiveErrors} send-errors={SendErrors} faults={Faults} {Refused}";
    }
}

/// <summary>Requests the client policy refused, by outcome, summed over workers.</summary>
/// <param name="RateLimitedKod">Over the rate limit, answered with a RATE kiss.</param>
/// <param name="RateLimitedDropped">Over the rate limit, not answered.</param>
/// <param name="Denied">Refused by the access list (a DENY kiss or nothing, by Access:DenyAction).</param>
/// <param name="NtsRequired">Unauthenticated while Access:RequireNts is set (a DENY kiss or nothing).</param>
public sealed record PolicyTotals(long RateLimitedKod, long RateLimitedDropped, long Denied, long NtsRequired)
{
    public override string ToString() =>
        $"rate-limited-kod={RateLimitedKod} rate-limited-dropped={RateLimitedDropped} denied={Denied} nts-required={NtsRequired}";
}
