using System.Net;

namespace FastNtp.LoadTest.Tests;

public class LoadSettingsTests
{
    private static readonly IReadOnlyList<LoadStep> OneStep = RateSchedule.Fixed(1000, TimeSpan.FromSeconds(2));

    private static string? Validate(string target, bool allow = false, int clients = 8, int threads = 2, TimeSpan? maxTotal = null) =>
        LoadSettings.Validate(IPEndPoint.Parse(target), allow, clients, threads, OneStep, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1),
            maxTotal ?? TimeSpan.FromMinutes(1), 64);

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.3.4", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    public void IsLoopback_IsTrueOnlyForLoopbackAddresses(string address, bool expected) =>
        Assert.Equal(expected, LoadSettings.IsLoopback(IPAddress.Parse(address)));

    [Fact]
    public void LoopbackTargets_AreAccepted()
    {
        Assert.Null(Validate("127.0.0.1:12300"));
        Assert.Null(Validate("[::1]:12300"));
    }

    [Fact]
    public void NonLoopbackTarget_IsRefusedUnlessAllowed()
    {
        Assert.Contains("--allow-non-loopback", Validate("192.0.2.1:123"), StringComparison.Ordinal);
        Assert.Null(Validate("192.0.2.1:123", allow: true));
    }

    [Fact]
    public void ScheduleLongerThanMaxTotal_IsRefused() =>
        // 1 s warm-up + 2 s step + two 0.5 s drains = 4 s.
        Assert.Contains("--max-total", Validate("127.0.0.1:123", maxTotal: TimeSpan.FromSeconds(3.9)), StringComparison.Ordinal);

    [Fact]
    public void FewerClientsThanThreads_IsRefused() =>
        Assert.Contains("--clients", Validate("127.0.0.1:123", clients: 1, threads: 2), StringComparison.Ordinal);

    [Fact]
    public void PortZero_IsRefused() => Assert.NotNull(Validate("127.0.0.1:0"));

    [Fact]
    public void Timeline_PutsTheWarmupFirst()
    {
        var s = new LoadSettings(IPEndPoint.Parse("127.0.0.1:1"), 1, 1, RateSchedule.Stepped(10, 2, 40, TimeSpan.FromSeconds(1)),
            TimeSpan.Zero, 64, 1 << 20, TimeSpan.FromSeconds(10), "x", TimeSpan.FromSeconds(2));
        Assert.Equal([10.0, 10.0, 20.0, 40.0], s.Timeline.Select(x => x.Rate));
        Assert.Equal(-1, s.Timeline[0].Index);
        Assert.Equal(TimeSpan.FromSeconds(2), s.Timeline[0].Duration);
        Assert.Equal(3, (s with { Warmup = TimeSpan.Zero }).Timeline.Count);
    }
}
