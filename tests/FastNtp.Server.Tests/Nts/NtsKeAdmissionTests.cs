using FastNtp.Server.Nts;

namespace FastNtp.Server.Tests.Nts;

public sealed class NtsKeAdmissionTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    private sealed class ManualTime : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Now;

        public void Advance(TimeSpan span) => Now += (long)(span.TotalSeconds * TimestampFrequency);
    }

    private static NtsKeSettings Limits(int perAddress = 8, int handshakes = 16, double windowSeconds = 60, int maxConnections = 1024) =>
        NtsKeSettings.Default with
        {
            MaxConnections = maxConnections,
            MaxConnectionsPerAddress = perAddress,
            HandshakesPerAddress = handshakes,
            HandshakeWindow = TimeSpan.FromSeconds(windowSeconds),
        };

    [Fact]
    public void Address_HoldsAtMostItsShareOfConnectionsAndGetsThemBackOnClose()
    {
        var admission = new NtsKeAdmission(Limits(perAddress: 3, handshakes: 100), new ManualTime());
        for (int i = 0; i < 3; i++) Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.ConnectionsPerAddress, admission.TryAdmit(A));
        // Another address is not affected.
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(B));

        admission.Release(A);
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.ConnectionsPerAddress, admission.TryAdmit(A));
    }

    [Fact]
    public void HandshakesPerAddress_RefillOverTheWindow()
    {
        var time = new ManualTime();
        var admission = new NtsKeAdmission(Limits(perAddress: 100, handshakes: 4, windowSeconds: 60), time);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
            admission.Release(A);
        }

        Assert.Equal(NtsKeRefusal.HandshakeRate, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(B));

        // One handshake comes back every window / burst = 15 s.
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(NtsKeRefusal.HandshakeRate, admission.TryAdmit(A));
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.HandshakeRate, admission.TryAdmit(A));

        // A refused attempt costs nothing; a long quiet spell refills to the burst, not beyond.
        time.Advance(TimeSpan.FromHours(1));
        for (int i = 0; i < 4; i++) Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.HandshakeRate, admission.TryAdmit(A));
    }

    [Fact]
    public void Ipv6ClientsOfOneSlash64_ShareTheirLimitsAndIpv4MappedIsIpv4()
    {
        var admission = new NtsKeAdmission(Limits(perAddress: 2, handshakes: 100), new ManualTime());
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.Equal(NtsKeRefusal.ConnectionsPerAddress, admission.TryAdmit(IPAddress.Parse("2001:db8:1:2::77")));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(IPAddress.Parse("2001:db8:1:3::1")));

        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(A.MapToIPv6()));
        Assert.Equal(NtsKeRefusal.ConnectionsPerAddress, admission.TryAdmit(A));
        Assert.NotEqual(NtsKeAdmission.Key(IPAddress.Parse("::")), NtsKeAdmission.Key(IPAddress.Parse("0.0.0.0")));
    }

    [Fact]
    public void Table_IsBoundedAndForgetsQuietAddresses()
    {
        var time = new ManualTime();
        // Capacity is max(4 x MaxConnections, 4096) addresses.
        var admission = new NtsKeAdmission(Limits(perAddress: 1, handshakes: 2, windowSeconds: 10, maxConnections: 16), time);
        for (int i = 0; i < 4096; i++) Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(Address(i)));
        Assert.Equal(NtsKeRefusal.TableFull, admission.TryAdmit(Address(5000)));

        // Closed connections whose bucket has refilled are forgotten to make room; open ones are kept.
        for (int i = 0; i < 4000; i++) admission.Release(Address(i));
        Assert.Equal(NtsKeRefusal.TableFull, admission.TryAdmit(Address(5000)));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(NtsKeRefusal.None, admission.TryAdmit(Address(5000)));
        Assert.Equal(97, admission.Tracked);
        Assert.Equal(NtsKeRefusal.ConnectionsPerAddress, admission.TryAdmit(Address(4095)));
    }

    private static IPAddress Address(int i) => new([10, 0, (byte)(i >> 8), (byte)i]);
}
