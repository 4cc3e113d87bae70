namespace FastNtp.Server.Tests.Engine;

public sealed class WorkerLivenessTests
{
    [Fact]
    public void OneWorkerWithoutProgress_WithholdsLiveness()
    {
        WorkerCounters[] workers = [new(), new()];
        var liveness = new WorkerLiveness(workers);

        workers[0].Loops++;
        workers[1].Loops++;
        Assert.True(liveness.AllProgressed());

        workers[0].Loops++;
        Assert.False(liveness.AllProgressed());

        workers[0].Loops++;
        workers[1].Loops++;
        Assert.True(liveness.AllProgressed());

        Assert.False(liveness.AllProgressed());
    }

    [Fact]
    public void NoWorkers_IsNotAlive() => Assert.False(new WorkerLiveness([]).AllProgressed());

    [Fact]
    public void Stalled_CountsWorkersWhoseLoopStoodStillLongerThanTheLimit()
    {
        WorkerCounters[] workers = [new(), new()];
        var liveness = new WorkerLiveness(workers);
        var limit = TimeSpan.FromSeconds(5);

        Assert.Equal(0, liveness.Stalled(1_000, limit));
        workers[0].Loops++;
        Assert.Equal(0, liveness.Stalled(5_000, limit));
        workers[0].Loops++;
        // Worker 1 has stood still since 1 000 ms: 5.5 s, over the limit; worker 0 moved.
        Assert.Equal(1, liveness.Stalled(6_500, limit));
        workers[1].Loops++;
        Assert.Equal(0, liveness.Stalled(7_000, limit));
        Assert.Equal(2, liveness.Stalled(13_000, limit));
    }
}
