namespace FastNtp.Protocol.Tests.Sync;

public class SimulationTests
{
    private static Simulation ThreeGoodOneFalseticker(int seed, SyncProcessSettings settings, double initialPhase, double driftPpm)
    {
        var sim = new Simulation(seed, settings, initialPhase, driftPpm);
        sim.AddServer(new SimServer { Name = "good-a", BaseDelay = 0.010, Asymmetry = 0.0004, Jitter = 0.0005 });
        sim.AddServer(new SimServer { Name = "good-b", BaseDelay = 0.025, Asymmetry = -0.0006, Jitter = 0.001, Loss = 0.05 });
        sim.AddServer(new SimServer { Name = "good-c", BaseDelay = 0.040, Asymmetry = 0.0002, Jitter = 0.002, Loss = 0.1 });
        sim.AddServer(new SimServer { Name = "liar", Offset = 1.0, BaseDelay = 0.015, Jitter = 0.0005 });
        return sim;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Falseticker_IsNeverSelectedAndOffsetSettlesWithinOneMillisecond(int seed)
    {
        // Observe-only: the local clock sits 4 ms behind true time and wanders slowly.
        Simulation sim = ThreeGoodOneFalseticker(seed, new SyncProcessSettings(), initialPhase: -0.004, driftPpm: 0.02);
        int liar = sim.Servers[3].Id;
        int checkedUpdates = 0;
        double worst = 0;
        sim.RunUntil(6 * 3600, () =>
        {
            SelectionResult? selection = sim.Process.LastSelection;
            Assert.NotEqual(liar, selection?.SystemPeerId ?? -1);
            SourceState liarState = sim.Process.Source(liar).Filter.HasEstimate
                ? sim.Process.GetStatus(sim.Clock.Local)[liar].State
                : SourceState.Unreachable;
            Assert.DoesNotContain(liarState, new[] { SourceState.Selected, SourceState.Survivor });

            if (sim.Clock.TrueTime > 1800 && sim.Process.Snapshot.IsSynchronized)
            {
                // Truth at the moment the system peer's estimate was taken: minus the local clock's phase then.
                worst = Math.Max(worst, Math.Abs(sim.Process.Offset + sim.Clock.Phase));
                checkedUpdates++;
            }
        });

        Assert.True(checkedUpdates > 100, $"only {checkedUpdates} synchronized updates");
        Assert.True(worst < 0.001, $"worst offset error {worst * 1e3:F3} ms");
        ServerSnapshot snapshot = sim.Process.Snapshot;
        Assert.True(snapshot.IsSynchronized);
        Assert.Equal(2, snapshot.Stratum);
        Assert.NotEqual(ReferenceId.FromAddress(System.Net.IPAddress.Parse("192.0.2.4")), snapshot.ReferenceId);
        Assert.Equal(SourceState.Falseticker, sim.Process.GetStatus(sim.Clock.Local)[liar].State);
    }

    [Fact]
    public void LosingAllSources_DecaysToUnsynchronized()
    {
        Simulation sim = ThreeGoodOneFalseticker(7, new SyncProcessSettings(), initialPhase: 0.001, driftPpm: 0);
        sim.RunUntil(3600);
        Assert.True(sim.Process.Snapshot.IsSynchronized);

        foreach (SimServer s in sim.Servers) s.Online = false;
        double lostAt = sim.Clock.TrueTime;
        double? unsynchronizedAt = null;
        sim.RunUntil(lostAt + 12 * 3600, () =>
        {
            if (unsynchronizedAt is null && !sim.Process.Snapshot.IsSynchronized) unsynchronizedAt = sim.Clock.TrueTime;
            // Once gone, the state never comes back without replies.
            if (unsynchronizedAt is not null) Assert.False(sim.Process.Snapshot.IsSynchronized);
        });

        Assert.NotNull(unsynchronizedAt);
        // Bounded: eight polls at most at the maximum interval (1024 s) plus one.
        Assert.True(unsynchronizedAt - lostAt <= 9 * 1024, $"took {unsynchronizedAt - lostAt} s");
        Assert.Equal(ServerSnapshot.Unsynchronized(-20), sim.Process.Snapshot);
        Assert.All(sim.Process.GetStatus(sim.Clock.Local), s => Assert.Equal(0, s.Reach));
    }

    [Fact]
    public void LosingAllSources_FallsBackToTheLocalStratumWhenConfigured()
    {
        Simulation sim = ThreeGoodOneFalseticker(8, new SyncProcessSettings { LocalStratum = 10 }, initialPhase: 0, driftPpm: 0);
        Assert.Equal(10, sim.Process.Snapshot.Stratum);
        sim.RunUntil(3600);
        Assert.Equal(2, sim.Process.Snapshot.Stratum);
        foreach (SimServer s in sim.Servers) s.Online = false;
        sim.RunUntil(sim.Clock.TrueTime + 12 * 3600);
        Assert.Equal(10, sim.Process.Snapshot.Stratum);
        Assert.Equal(ReferenceId.Local, sim.Process.Snapshot.ReferenceId);
    }

    [Theory]
    [InlineData(11, 0.02)]
    [InlineData(12, -0.05)]
    [InlineData(13, 0.6)]
    public void KernelControl_HoldsA50PpmClockWithinOneMillisecond(int seed, double initialPhase)
    {
        var settings = new SyncProcessSettings { Control = ClockControl.Kernel };
        Simulation sim = ThreeGoodOneFalseticker(seed, settings, initialPhase, driftPpm: 50);
        sim.RunUntil(4 * 3600);
        Assert.Equal(Math.Abs(initialPhase) > settings.StepThreshold ? 1 : 0, sim.Clock.Steps);

        double worst = 0;
        sim.RunUntil(16 * 3600, () => worst = Math.Max(worst, Math.Abs(sim.Clock.Phase)));
        Assert.True(worst < 0.001, $"worst residual offset {worst * 1e3:F3} ms, frequency {sim.Clock.FrequencyPpm:F2} ppm");
        // The learned drift; the applied frequency also carries the proportional term for the current offset.
        Assert.InRange(sim.Process.Discipline.IntegralPpm, -51, -49);
        Assert.True(sim.Process.Snapshot.IsSynchronized);
        Assert.Equal(0, sim.Panics);
    }

    [Fact]
    public void KernelControl_RefusesAnOffsetBeyondThePanicThreshold()
    {
        var settings = new SyncProcessSettings { Control = ClockControl.Kernel, PanicThreshold = 100 };
        Simulation sim = ThreeGoodOneFalseticker(21, settings, initialPhase: -500, driftPpm: 0);
        sim.RunUntil(3600);
        Assert.True(sim.Panics > 0);
        Assert.Equal(0, sim.Clock.Steps);
        Assert.Equal(0, sim.Clock.FrequencyPpm);
        Assert.False(sim.Process.Snapshot.IsSynchronized);
    }

    [Fact]
    public void ObserveOnly_IsUnsynchronizedWhileTheOffsetExceedsTheMaximum()
    {
        Simulation sim = ThreeGoodOneFalseticker(31, new SyncProcessSettings { MaxOffset = 0.010 }, initialPhase: -0.050, driftPpm: 0);
        sim.RunUntil(3600, () => Assert.False(sim.Process.Snapshot.IsSynchronized));
        Assert.InRange(sim.Process.LastSelection!.Offset, 0.049, 0.051);
        Assert.All(sim.Process.GetStatus(sim.Clock.Local), s => Assert.NotEqual(0, s.Reach));
    }
}
