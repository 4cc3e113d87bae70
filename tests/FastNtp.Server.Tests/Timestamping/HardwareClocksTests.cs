using FastNtp.Server.Timestamping;

namespace FastNtp.Server.Tests.Timestamping;

public class HardwareClocksTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void None_ConvertsNothing()
    {
        Assert.False(HardwareClocks.None.Any);
        Assert.False(HardwareClocks.None.TryToSystem(1, 5 * Second, out _));
    }

    [Fact]
    public void Stamp_IsConvertedWithThePhcOfItsInterface()
    {
        // Interfaces 3 and 4 share PHC 0 (two ports of one NIC), interface 7 has PHC 1.
        var clocks = new HardwareClocks([(3, 0), (4, 0), (7, 1)], 2);
        Assert.True(clocks.Any);
        Assert.False(clocks.TryToSystem(3, 100 * Second, out _)); // no line yet: software stamps

        clocks.Publish(0, new PhcConversion(100 * Second, 1_000 * Second, 1.0));
        clocks.Publish(1, new PhcConversion(100 * Second, 2_000 * Second, 1.0));

        Assert.True(clocks.TryToSystem(4, 101 * Second, out long viaFour));
        Assert.Equal(1_001 * Second, viaFour);
        Assert.True(clocks.TryToSystem(7, 101 * Second, out long viaSeven));
        Assert.Equal(2_001 * Second, viaSeven);
        Assert.False(clocks.TryToSystem(5, 101 * Second, out _)); // not ours: another program's PHC, never a wrong time

        clocks.Publish(1, null);
        Assert.False(clocks.TryToSystem(7, 101 * Second, out _));
    }

    [Fact]
    public void Constructor_RefusesASlotOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardwareClocks([(3, 1)], 1));
}
