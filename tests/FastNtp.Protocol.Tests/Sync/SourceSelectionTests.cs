namespace FastNtp.Protocol.Tests.Sync;

public class SourceSelectionTests
{
    private static SelectionCandidate C(int id, double offset, double distance, double jitter = 0.0005, byte stratum = 1,
        LeapIndicator leap = LeapIndicator.NoWarning) => new(id, offset, distance, jitter, stratum, leap);

    [Fact]
    public void FalsetickerOutsideTheMajorityIntersection_IsRejected()
    {
        SelectionResult r = SourceSelection.Select(
            [C(0, 0.001, 0.010), C(1, -0.002, 0.015), C(2, 0.0005, 0.012), C(3, 1.0, 0.010)], minSources: 2);
        Assert.True(r.IsSynchronized);
        Assert.Equal(CandidateVerdict.Falseticker, r.Verdicts[3]);
        Assert.Equal(3, r.Truechimers);
        Assert.NotEqual(3, r.SystemPeerId);
        Assert.InRange(r.Offset, -0.002, 0.001);
    }

    [Fact]
    public void TwoSourcesThatDisagree_HaveNoMajority()
    {
        SelectionResult r = SourceSelection.Select([C(0, 0.0, 0.010), C(1, 0.5, 0.010)], minSources: 1);
        Assert.Equal(SelectionStatus.NoMajority, r.Status);
        Assert.Equal(-1, r.SystemPeerId);
        Assert.All(r.Verdicts, v => Assert.Equal(CandidateVerdict.Candidate, v));
    }

    [Fact]
    public void ThreeSourcesWithNoTwoAgreeing_HaveNoMajority()
    {
        SelectionResult r = SourceSelection.Select([C(0, 0.0, 0.010), C(1, 0.5, 0.010), C(2, -0.5, 0.010)], minSources: 1);
        Assert.Equal(SelectionStatus.NoMajority, r.Status);
    }

    [Fact]
    public void TooFewTruechimersForTheMinimum_IsUnsynchronized()
    {
        SelectionResult r = SourceSelection.Select([C(0, 0.0, 0.010), C(1, 0.001, 0.010)], minSources: 3);
        Assert.Equal(SelectionStatus.TooFewSources, r.Status);
        Assert.Equal(2, r.Truechimers);
        Assert.False(r.IsSynchronized);
    }

    [Fact]
    public void SingleSource_SelectsItselfWithAMinimumOfOne()
    {
        SelectionResult r = SourceSelection.Select([C(7, 0.003, 0.020)], minSources: 1);
        Assert.True(r.IsSynchronized);
        Assert.Equal(7, r.SystemPeerId);
        Assert.Equal(0.003, r.Offset, 9);
    }

    [Fact]
    public void NoCandidates_IsUnsynchronized() =>
        Assert.Equal(SelectionStatus.NoCandidates, SourceSelection.Select([], 1).Status);

    [Fact]
    public void Combining_WeighsByInverseRootDistance()
    {
        SelectionResult r = SourceSelection.Select([C(0, 0.000, 0.010), C(1, 0.003, 0.030)], minSources: 1);
        // weights 100 and 33.3: (0 × 100 + 0.003 × 33.3) / 133.3
        Assert.Equal(0.003 / 4, r.Offset, 9);
        Assert.Equal(0, r.SystemPeerId);
    }

    [Fact]
    public void LowerStratum_WinsSystemPeerAndThePreviousPeerIsKept()
    {
        SelectionCandidate[] set = [C(0, 0.0, 0.010, stratum: 2), C(1, 0.0005, 0.020, stratum: 1), C(2, 0.0002, 0.015, stratum: 2)];
        Assert.Equal(1, SourceSelection.Select(set, 1).SystemPeerId);
        Assert.Equal(2, SourceSelection.Select(set, 1, previousPeerId: 2).SystemPeerId);
    }

    [Fact]
    public void Clustering_PrunesTheOutlierWhileMoreThanThreeRemain()
    {
        // Five truechimers (wide intervals all overlap); one sits well away from the tight four.
        SelectionResult r = SourceSelection.Select(
            [C(0, 0.0000, 0.2), C(1, 0.0001, 0.2), C(2, -0.0001, 0.2), C(3, 0.0002, 0.2), C(4, 0.080, 0.2)], minSources: 2);
        Assert.True(r.IsSynchronized);
        Assert.Equal(5, r.Truechimers);
        Assert.Equal(CandidateVerdict.Candidate, r.Verdicts[4]);
        Assert.InRange(r.Offset, -0.0001, 0.0002);
    }

    [Fact]
    public void Leap_FollowsTheMajorityOfSurvivors()
    {
        SelectionResult insert = SourceSelection.Select(
            [C(0, 0, 0.01, leap: LeapIndicator.InsertSecond), C(1, 0, 0.01, leap: LeapIndicator.InsertSecond), C(2, 0, 0.01)], 2);
        Assert.Equal(LeapIndicator.InsertSecond, insert.Leap);
        SelectionResult none = SourceSelection.Select(
            [C(0, 0, 0.01, leap: LeapIndicator.InsertSecond), C(1, 0, 0.01), C(2, 0, 0.01)], 2);
        Assert.Equal(LeapIndicator.NoWarning, none.Leap);
    }

    [Fact]
    public void Intersection_NeverPicksAMinorityWhateverTheOffsets()
    {
        var rng = new Random(5);
        for (int round = 0; round < 500; round++)
        {
            int n = rng.Next(1, 8);
            var set = new SelectionCandidate[n];
            for (int i = 0; i < n; i++) set[i] = C(i, rng.NextDouble() * 2 - 1, 0.001 + rng.NextDouble() * 0.3);
            SelectionResult r = SourceSelection.Select(set, 1);
            if (!r.IsSynchronized) continue;
            // The truechimers are a strict majority, and some point really lies inside more than half the intervals.
            Assert.True(2 * r.Truechimers > n);
            int deepest = 0;
            foreach (SelectionCandidate p in set)
            {
                foreach (double point in new[] { p.Offset - p.RootDistance, p.Offset + p.RootDistance })
                    deepest = Math.Max(deepest, set.Count(c => Math.Abs(c.Offset - point) <= c.RootDistance + 1e-12));
            }

            Assert.True(2 * deepest > n, $"round {round}");
            Assert.NotEqual(CandidateVerdict.Falseticker, r.Verdicts[r.SystemPeerId]);
        }
    }
}
