using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Sync;

/// <summary>What the system process knows of one fit source when it selects. Times are seconds.</summary>
/// <param name="Id">The caller's handle for the source, echoed in the result.</param>
/// <param name="Offset">The source's filtered offset (its time minus ours).</param>
/// <param name="RootDistance">Half the round trip to the primary reference plus all dispersion: the error bound.</param>
/// <param name="Jitter">The source's filter jitter.</param>
public readonly record struct SelectionCandidate(int Id, double Offset, double RootDistance, double Jitter, byte Stratum, LeapIndicator Leap);

public enum CandidateVerdict : byte
{
    /// <summary>Its interval misses the majority's intersection.</summary>
    Falseticker,
    /// <summary>A truechimer pruned by clustering, or one left over when no majority exists.</summary>
    Candidate,
    /// <summary>Survived clustering and contributes to the combined offset.</summary>
    Survivor,
    /// <summary>The survivor whose stratum, reference id and delay the server advertises.</summary>
    SystemPeer,
}

public enum SelectionStatus : byte
{
    Synchronized,
    NoCandidates,
    /// <summary>No interval is shared by more than half of the candidates.</summary>
    NoMajority,
    /// <summary>Fewer truechimers agree than the configured minimum.</summary>
    TooFewSources,
}

/// <summary>The outcome of one selection round.</summary>
/// <param name="Verdicts">One verdict per input candidate, in input order.</param>
/// <param name="SystemPeerId">The system peer's <see cref="SelectionCandidate.Id"/>, or -1.</param>
/// <param name="Offset">The combined offset of the survivors, weighted by 1/root distance.</param>
/// <param name="Jitter">System jitter: selection jitter combined with the system peer's own jitter.</param>
/// <param name="Leap">The leap indicator most survivors agree on.</param>
public sealed record SelectionResult(
    SelectionStatus Status, CandidateVerdict[] Verdicts, int SystemPeerId, double Offset, double Jitter, LeapIndicator Leap, int Truechimers)
{
    public bool IsSynchronized => Status == SelectionStatus.Synchronized;
}

/// <summary>
/// RFC 5905 section 11.2: the intersection algorithm finds the largest set of candidates whose correctness
/// intervals share a point (the truechimers), clustering prunes the survivors with the most selection jitter,
/// and combining averages the rest weighted by root distance.
/// </summary>
public static class SourceSelection
{
    public static SelectionResult Select(ReadOnlySpan<SelectionCandidate> candidates, int minSources, int previousPeerId = -1)
    {
        int n = candidates.Length;
        var verdicts = new CandidateVerdict[n];
        if (n == 0) return new SelectionResult(SelectionStatus.NoCandidates, verdicts, -1, 0, 0, LeapIndicator.Unsynchronized, 0);

        if (!TryIntersect(candidates, out double low, out double high))
        {
            Array.Fill(verdicts, CandidateVerdict.Candidate);
            return new SelectionResult(SelectionStatus.NoMajority, verdicts, -1, 0, 0, LeapIndicator.Unsynchronized, 0);
        }

        var truechimers = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            SelectionCandidate c = candidates[i];
            bool misses = c.Offset + c.RootDistance < low || c.Offset - c.RootDistance > high;
            verdicts[i] = misses ? CandidateVerdict.Falseticker : CandidateVerdict.Candidate;
            if (!misses) truechimers.Add(i);
        }

        if (truechimers.Count < Math.Max(1, minSources))
            return new SelectionResult(SelectionStatus.TooFewSources, verdicts, -1, 0, 0, LeapIndicator.Unsynchronized, truechimers.Count);

        // Merit: lower stratum first, then shorter root distance.
        SelectionCandidate[] all = candidates.ToArray();
        truechimers.Sort((a, b) => Merit(all[a]).CompareTo(Merit(all[b])));
        List<int> survivors = Cluster(all, truechimers, out double selectionJitter);

        int peer = survivors[0];
        foreach (int s in survivors)
        {
            // Keep the previous system peer while it survives, so the advertised reference id does not flap.
            if (all[s].Id == previousPeerId) peer = s;
        }

        double weightSum = 0, weightedOffset = 0;
        int inserts = 0, deletes = 0;
        foreach (int s in survivors)
        {
            verdicts[s] = CandidateVerdict.Survivor;
            double w = 1.0 / Math.Max(all[s].RootDistance, SyncConstants.MinDispersion);
            weightSum += w;
            weightedOffset += w * all[s].Offset;
            if (all[s].Leap == LeapIndicator.InsertSecond) inserts++;
            else if (all[s].Leap == LeapIndicator.DeleteSecond) deletes++;
        }

        verdicts[peer] = CandidateVerdict.SystemPeer;
        LeapIndicator leap = inserts * 2 > survivors.Count ? LeapIndicator.InsertSecond
            : deletes * 2 > survivors.Count ? LeapIndicator.DeleteSecond
            : LeapIndicator.NoWarning;
        double jitter = Math.Sqrt(selectionJitter * selectionJitter + all[peer].Jitter * all[peer].Jitter);
        return new SelectionResult(SelectionStatus.Synchronized, verdicts, all[peer].Id, weightedOffset / weightSum, jitter, leap, truechimers.Count);
    }

    private static double Merit(in SelectionCandidate c) => c.Stratum * SyncConstants.MaxDistance + c.RootDistance;

    /// <summary>
    /// Marzullo-style search: allowing f falsetickers (f below n/2), find the interval that at least n - f
    /// correctness intervals share, and whose midpoints mostly lie inside it.
    /// </summary>
    private static bool TryIntersect(ReadOnlySpan<SelectionCandidate> candidates, out double low, out double high)
    {
        int n = candidates.Length;
        var points = new (double Value, int Type)[3 * n];
        for (int i = 0; i < n; i++)
        {
            SelectionCandidate c = candidates[i];
            points[3 * i] = (c.Offset - c.RootDistance, -1);
            points[3 * i + 1] = (c.Offset, 0);
            points[3 * i + 2] = (c.Offset + c.RootDistance, 1);
        }

        // At equal values a lower endpoint sorts first, so touching intervals count as overlapping.
        Array.Sort(points, (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Type.CompareTo(b.Type));
        for (int allow = 0; 2 * allow < n; allow++)
        {
            int found = 0, chime = 0;
            low = double.PositiveInfinity;
            high = double.NegativeInfinity;
            for (int i = 0; i < points.Length; i++)
            {
                chime -= points[i].Type;
                if (chime >= n - allow)
                {
                    low = points[i].Value;
                    break;
                }

                if (points[i].Type == 0) found++;
            }

            chime = 0;
            for (int i = points.Length - 1; i >= 0; i--)
            {
                chime += points[i].Type;
                if (chime >= n - allow)
                {
                    high = points[i].Value;
                    break;
                }

                if (points[i].Type == 0) found++;
            }

            if (found <= allow && low <= high) return true;
        }

        low = high = 0;
        return false;
    }

    /// <summary>
    /// Prunes, one at a time, the survivor whose offset is farthest from the others (largest selection
    /// jitter) until that jitter is below the smallest source jitter or only <see cref="SyncConstants.MinCluster"/> remain.
    /// </summary>
    private static List<int> Cluster(SelectionCandidate[] all, List<int> sortedTruechimers, out double selectionJitter)
    {
        var survivors = new List<int>(sortedTruechimers);
        while (true)
        {
            double maxJitter = -1, minPeerJitter = double.MaxValue;
            int worst = -1;
            foreach (int i in survivors)
            {
                double sum = 0;
                foreach (int j in survivors)
                {
                    double d = all[j].Offset - all[i].Offset;
                    sum += d * d;
                }

                double jitter = survivors.Count > 1 ? Math.Sqrt(sum / (survivors.Count - 1)) : 0;
                if (jitter > maxJitter)
                {
                    maxJitter = jitter;
                    worst = i;
                }

                minPeerJitter = Math.Min(minPeerJitter, all[i].Jitter);
            }

            if (maxJitter <= minPeerJitter || survivors.Count <= SyncConstants.MinCluster)
            {
                selectionJitter = SelectionJitter(all, survivors);
                return survivors;
            }

            survivors.Remove(worst);
        }
    }

    /// <summary>RMS of the survivors' offsets about the first (best-merit) survivor's.</summary>
    private static double SelectionJitter(SelectionCandidate[] all, List<int> survivors)
    {
        if (survivors.Count < 2) return 0;
        double reference = all[survivors[0]].Offset, sum = 0;
        foreach (int i in survivors)
        {
            double d = all[i].Offset - reference;
            sum += d * d;
        }

        return Math.Sqrt(sum / (survivors.Count - 1));
    }
}
