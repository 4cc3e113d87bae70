using FastNtp.Interop.Clock;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Tests.Sync;

public class KernelActuatorTests
{
    private static readonly KernelClockState Kernel = new(0, 0x0040, 12.5, 16, 16, 0, 0);

    [Fact]
    public void Probe_WritesBackTheKernelsOwnFrequency()
    {
        var kernel = new FakeKernelClock { State = Kernel };
        var actuator = new KernelActuator(kernel, 1000, NullLogger.Instance);
        Assert.Equal(12.5, actuator.ProbeFrequency());
        Assert.Equal([12.5], kernel.Frequencies);
    }

    [Fact]
    public void ProbeWithoutThePrivilege_StopsStartUpNamingTheOption()
    {
        var kernel = new FakeKernelClock { State = Kernel, Refuse = true };
        var actuator = new KernelActuator(kernel, 1000, NullLogger.Instance);
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => actuator.ProbeFrequency());
        Assert.StartsWith("Clock:Control: kernel needs CAP_SYS_TIME", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StepAndFrequency_ReachTheKernelAndPanicAndNoneDoNot()
    {
        var kernel = new FakeKernelClock { State = Kernel };
        var actuator = new KernelActuator(kernel, 1000, NullLogger.Instance);
        actuator.Apply(new DisciplineAction(DisciplineKind.Step, NtpDuration.FromSeconds(0.5), 0));
        actuator.Apply(new DisciplineAction(DisciplineKind.Frequency, NtpDuration.Zero, -3.25));
        actuator.Apply(new DisciplineAction(DisciplineKind.Panic, NtpDuration.FromSeconds(2000), 0));
        actuator.Apply(DisciplineAction.None);
        Assert.Equal([NtpDuration.FromSeconds(0.5)], kernel.Steps);
        Assert.Equal([-3.25], kernel.Frequencies);
        Assert.Equal(2, kernel.Modifications);
    }

    [Fact]
    public void FailedCallAfterStartUp_IsSurvived()
    {
        var kernel = new FakeKernelClock { State = Kernel, Refuse = true };
        var actuator = new KernelActuator(kernel, 1000, NullLogger.Instance);
        actuator.Apply(new DisciplineAction(DisciplineKind.Step, NtpDuration.FromSeconds(0.5), 0));
        actuator.SetStatus(ServerSnapshot.Unsynchronized(-20), 0.1);
        Assert.Empty(kernel.Steps);
        Assert.Empty(kernel.Statuses);
    }

    [Fact]
    public void Status_CarriesHalfTheRootDelayPlusTheDispersionAsMaximumError()
    {
        var kernel = new FakeKernelClock { State = Kernel };
        var actuator = new KernelActuator(kernel, 1000, NullLogger.Instance);
        ServerSnapshot snapshot = ServerSnapshot.LocalClock(2, -20, NtpTimestamp.FromParts(0xEC00_0000, 0)) with
        {
            RootDelay = NtpDuration.FromMilliseconds(20),
            RootDispersion = NtpDuration.FromMilliseconds(5),
        };
        actuator.SetStatus(snapshot, -0.003);
        (bool synchronized, double maxError, double estError) = Assert.Single(kernel.Statuses);
        Assert.True(synchronized);
        Assert.Equal(0.015, maxError, 6);
        Assert.Equal(0.003, estError, 9);
    }
}
