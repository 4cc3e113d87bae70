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
}
