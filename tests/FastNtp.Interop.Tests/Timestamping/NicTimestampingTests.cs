using FastNtp.Interop.Bpf;
using FastNtp.Interop.Threading;
using FastNtp.Interop.Timestamping;

namespace FastNtp.Interop.Tests.Timestamping;

/// <summary>
/// The capability probe and the enable path on interfaces this machine has: none has a PTP hardware clock (lo, a
/// test-made veth), so every answer here is a clean "cannot", never an exception and never a change to the NIC.
/// </summary>
public class NicTimestampingTests
{
    [Fact]
    public void Loopback_HasSoftwareStampsOnly()
    {
        NicTimestampingResult probe = NicTimestamping.Probe("lo");

        Assert.Equal(NicTimestampingOutcome.NoHardwareTimestamps, probe.Outcome);
        Assert.NotNull(probe.Info);
        Assert.Equal(NetworkInterfaces.IndexOf("lo"), probe.Info.InterfaceIndex);
        Assert.Equal(-1, probe.Info.PhcIndex);
        Assert.True(probe.Info.Capabilities.HasFlag(TimestampingFlags.RxSoftware));
        Assert.False(probe.Info.HasHardwareStamps);
        Assert.Contains("cannot stamp in hardware", probe.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Enable_OnLoopbackReportsCannotAndChangesNothing()
    {
        NicTimestampingResult result = NicTimestamping.Enable("lo");

        Assert.False(result.IsEnabled);
        Assert.Equal(NicTimestampingOutcome.NoHardwareTimestamps, result.Outcome);
        Assert.Null(result.Applied);
    }

    [Theory]
    [InlineData("fntp-absent0")]
    [InlineData("")]
    [InlineData("a-name-longer-than-ifnamsiz")]
    [InlineData("lö")]
    public void MissingOrInvalidInterface_IsNoSuchInterface(string name)
    {
        NicTimestampingResult result = NicTimestamping.Enable(name);

        Assert.Equal(NicTimestampingOutcome.NoSuchInterface, result.Outcome);
        Assert.Null(result.Info);
        Assert.Contains("no such interface", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Veth_CannotStampInHardware()
    {
        using var net = new VethNamespacePair();
        NicTimestampingResult? result = null;
        var thread = new Thread(() =>
        {
            // The veth lives in the test's server namespace; only this thread enters it.
            NetworkNamespace.EnterOnThisThread(net.ServerNamespace);
            result = NicTimestamping.Enable(VethNamespacePair.ServerInterface);
        });
        thread.Start();
        thread.Join();

        Assert.NotNull(result);
        Assert.Equal(NicTimestampingOutcome.NoHardwareTimestamps, result.Outcome);
        Assert.Equal(-1, result.Info!.PhcIndex);
        Assert.Null(result.Applied);
        Assert.StartsWith(VethNamespacePair.ServerInterface + ": the NIC cannot stamp in hardware", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Capabilities_ChooseNtpAllOverAll()
    {
        const TimestampingFlags hardware = TimestampingFlags.Hardware | TimestampingFlags.Software;
        Assert.Equal(15, new NicTimestampingInfo(2, hardware, 0, 0b11, (1u << 1) | (1u << 15)).RxFilter);
        Assert.Equal(1, new NicTimestampingInfo(2, hardware, 0, 0b11, (1u << 1) | (1u << 12)).RxFilter);
        Assert.Equal(0, new NicTimestampingInfo(2, hardware, 0, 0b11, 1u << 12).RxFilter);
        Assert.False(new NicTimestampingInfo(2, TimestampingFlags.RxHardware | TimestampingFlags.RawHardware, 0, 0b11, 2).HasHardwareStamps);
        Assert.False(new NicTimestampingInfo(2, hardware, 0, 0b01, 2).CanTransmitStamp);
    }

    [Fact]
    public void Config_StampsNtpOnlyWithTransmitOnAndAnAllFilter()
    {
        Assert.True(new HwTimestampConfig(1, 1).StampsNtp);
        Assert.True(new HwTimestampConfig(1, 15).StampsNtp);
        Assert.False(new HwTimestampConfig(0, 1).StampsNtp);
        Assert.False(new HwTimestampConfig(1, 12).StampsNtp);
        Assert.Equal("tx on, rx filter ntp-all", new HwTimestampConfig(1, 15).ToString());
    }

    [Fact]
    public void PtpClock_ThatDoesNotExistFailsToOpenWithItsErrno()
    {
        Assert.False(PtpHardwareClock.TryOpen(4093, out PtpHardwareClock? clock, out Errno errno));
        Assert.Null(clock);
        Assert.Equal(Errno.ENOENT, errno);
        Assert.Equal("/dev/ptp4093", PtpHardwareClock.DevicePath(4093));
    }
}
