namespace FastNtp.LoadTest.Tests;

public class ProcessCpuTests
{
    [Fact]
    public void Parse_ReadsUtimeAndStimeOfAPlainLine()
    {
        const string stat = "4242 (chronyd) S 1 4242 4242 0 -1 4194560 263 0 0 0 1234 567 0 0 20 0 1 0 1000 10000000 300 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
        Assert.True(ProcessCpu.TryParseStat(stat, out long user, out long system));
        Assert.Equal(1234, user);
        Assert.Equal(567, system);
    }

    [Fact]
    public void CommandNameWithSpacesAndParentheses_DoesNotShiftTheFields()
    {
        const string stat = "77 (a) b (c) d) R 1 77 77 0 -1 0 0 0 0 0 9 8 0 0 20 0 3 0 5 0 0";
        Assert.True(ProcessCpu.TryParseStat(stat, out long user, out long system));
        Assert.Equal(9, user);
        Assert.Equal(8, system);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x")]
    [InlineData("12 (x) S 1 2 3 4 5 6 7 8 9 10")]
    [InlineData("12 (x) S 1 2 3 4 5 6 7 8 9 10 -5 6")]
    [InlineData("12 (x) S 1 2 3 4 5 6 7 8 9 10 abc 6 7")]
    public void TruncatedOrGarbledLines_AreRejected(string stat) =>
        Assert.False(ProcessCpu.TryParseStat(stat, out _, out _));

    [Fact]
    public void OwnProcessCpu_GrowsWithWorkAndAMissingProcessReadsNull()
    {
        double before = ProcessCpu.TryReadSeconds(Environment.ProcessId) ?? throw new InvalidOperationException("no /proc");
        // Burn at least 30 ms of CPU (three clock ticks), bounded by iterations rather than by time.
        double x = 0;
        double after = before;
        for (int round = 0; round < 200 && after < before + 0.03; round++)
        {
            for (int i = 0; i < 2_000_000; i++) x += Math.Sqrt(i);
            after = ProcessCpu.TryReadSeconds(Environment.ProcessId)!.Value;
        }

        Assert.True(x > 0);
        Assert.True(after >= before + 0.03, $"CPU time went from {before} to {after} s");
        Assert.Null(ProcessCpu.TryReadSeconds(int.MaxValue));
        Assert.Null(new CpuSampler(int.MaxValue).Sample().ServerSeconds);
        Assert.NotNull(new CpuSampler(null).Sample().GeneratorSeconds);
    }

    [Fact]
    public void StepCpuFigures_DeriveFromTheSamples()
    {
        var stats = new StepStats { Sent = 1000, Replies = 900 };
        var cpu = CpuSample.Between(new CpuSample(10.0, 2.0), new CpuSample(10.5, 3.0));
        var r = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, cpu, cpuWindowSeconds: 2.0);
        Assert.Equal(0.5, r.ServerCpuSeconds!.Value, 9);
        Assert.Equal(25.0, r.ServerCpuPercent!.Value, 9);
        Assert.Equal(50.0, r.GeneratorCpuPercent!.Value, 9);
        Assert.Equal(1800.0, r.RequestsPerServerCpuSecond!.Value, 9);

        var none = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, new CpuSample(null, 1), 2.0);
        Assert.Null(none.ServerCpuPercent);
        Assert.Null(none.RequestsPerServerCpuSecond);
        var idle = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, new CpuSample(0, 0), 2.0);
        Assert.Equal(0.0, idle.ServerCpuPercent);
        Assert.Null(idle.RequestsPerServerCpuSecond);
    }

    [Fact]
    public void Read_SplitsUserAndKernelTimeInClockTicks()
    {
        var t = CpuTimes.FromTicks(1234, 567);
        Assert.Equal(12.34, t.UserSeconds, 9);
        Assert.Equal(5.67, t.SystemSeconds, 9);
        Assert.Equal(18.01, t.TotalSeconds, 9);
        CpuTimes d = CpuTimes.FromTicks(1300, 600) - t;
        Assert.Equal(0.66, d.UserSeconds, 9);
        Assert.Equal(0.33, d.SystemSeconds, 9);

        CpuTimes own = ProcessCpu.TryRead(Environment.ProcessId) ?? throw new InvalidOperationException("no /proc");
        Assert.True(own.UserSeconds >= 0 && own.SystemSeconds >= 0);
        Assert.Null(ProcessCpu.TryRead(int.MaxValue));
    }

    [Fact]
    public void StepUserAndKernelNsPerRequest_DeriveFromTheSamples()
    {
        var stats = new StepStats { Sent = 1000, Replies = 800 };
        // Server: 0.02 s user and 0.06 s kernel over the step (2 and 6 ticks).
        var cpu = CpuSample.Between(CpuSample.Of(CpuTimes.FromTicks(100, 200), 1.0), CpuSample.Of(CpuTimes.FromTicks(102, 206), 1.5));
        Assert.Equal(0.08, cpu.ServerSeconds!.Value, 9);
        var r = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, cpu, cpuWindowSeconds: 1.0);
        Assert.Equal(0.02, r.ServerUserCpuSeconds!.Value, 9);
        Assert.Equal(0.06, r.ServerSystemCpuSeconds!.Value, 9);
        Assert.Equal(25_000.0, r.ServerUserNanosecondsPerRequest!.Value, 6);
        Assert.Equal(75_000.0, r.ServerKernelNanosecondsPerRequest!.Value, 6);
        Assert.Equal(10_000.0, r.RequestsPerServerCpuSecond!.Value, 6);

        // No server sample: no split. No replies: no per-request figure.
        var none = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, CpuSample.Of(null, 1), 1.0);
        Assert.Null(none.ServerUserNanosecondsPerRequest);
        Assert.Null(none.ServerKernelNanosecondsPerRequest);
        var silent = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), new StepStats { Sent = 10 }, cpu, 1.0);
        Assert.Null(silent.ServerUserNanosecondsPerRequest);
        Assert.Equal(0.02, silent.ServerUserCpuSeconds!.Value, 9);
    }

    [Fact]
    public void Boundaries_FollowTheThreadsTimeline()
    {
        IReadOnlyList<LoadStep> timeline = [new LoadStep(-1, 10, TimeSpan.FromSeconds(1)), new LoadStep(0, 10, TimeSpan.FromSeconds(3))];
        long[] b = LoadRunner.Boundaries(timeline, TimeSpan.FromSeconds(0.5), start: 100, frequency: 1000);
        Assert.Equal([100, 1600, 5100], b);
    }
}

public class CoreCpuTests
{
    private const string Stat = "cpu  900 10 300 5000 20 5 40 7 0 0\ncpu0 400 5 100 2500 10 2 20 3 0 0\ncpu1 500 5 200 2500 10 3 20 4 0 0\nintr 12345\n";

    [Fact]
    public void BusyTime_IsUserNiceSystemIrqAndSoftirq()
    {
        Assert.True(CoreCpu.TryParseStat(Stat, 1, out double busy));
        Assert.Equal((500 + 5 + 200 + 3 + 20) / 100.0, busy, 9);
        Assert.True(CoreCpu.TryParseStat(Stat, 0, out busy));
        Assert.Equal((400 + 5 + 100 + 2 + 20) / 100.0, busy, 9);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    public void MissingCpu_IsNotRead(int cpu) => Assert.False(CoreCpu.TryParseStat(Stat, cpu, out _));

    [Theory]
    [InlineData("cpu1 500 5 200\n")]
    [InlineData("cpu1 500 5 x 2500 10 3 20 4\n")]
    [InlineData("")]
    public void MalformedLines_AreNotRead(string stat) => Assert.False(CoreCpu.TryParseStat(stat, 1, out _));

    [Fact]
    public void ThisMachinesCpuZero_IsReadable() => Assert.NotNull(CoreCpu.TryReadBusySeconds(0));

    [Fact]
    public void CoreBusyTime_GivesRepliesPerBusyCoreSecond()
    {
        var stats = new StepStats { Sent = 1000, Replies = 1000, SendErrors = 7 };
        var cpu = CpuSample.Between(CpuSample.Of(null, 1, 10.0), CpuSample.Of(null, 1.2, 10.5));
        var s = StepResult.From(new LoadStep(0, 1000, TimeSpan.FromSeconds(1)), stats, cpu, 1.0);
        Assert.Equal(0.5, s.ServerCoreBusySeconds!.Value, 9);
        Assert.Equal(50.0, s.ServerCoreBusyPercent!.Value, 9);
        Assert.Equal(2000.0, s.RequestsPerServerCoreSecond!.Value, 9);
        Assert.Equal(7, s.SendErrors);

        RunResult run = ResultWriters.FromJson(ResultWriters.ToJson(new RunResult(
            new RunInfo("x", "10.200.0.2:123", 1, 1, "m", DateTimeOffset.UnixEpoch, "c"), [s])));
        Assert.Equal(7, run.Steps[0].SendErrors);
        Assert.Equal(0.5, run.Steps[0].ServerCoreBusySeconds!.Value, 9);
        Assert.EndsWith(",7,50,2000,0,0", ResultWriters.ToCsv(run).Split('\n')[1], StringComparison.Ordinal);
    }
}
