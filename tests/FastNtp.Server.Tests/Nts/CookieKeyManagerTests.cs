using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;

namespace FastNtp.Server.Tests.Nts;

/// <summary>Cookie key rotation and what happens to retired key material.</summary>
public sealed class CookieKeyManagerTests
{
    /// <summary>A clock the test moves.</summary>
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void Rotation_ZeroesASetOncePublicationHasMovedPastIt()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var manager = new CookieKeyManager(Secret, TimeSpan.FromHours(1), 2, time, startTimer: false);
        CookieKeySet first = manager.Store.Current;

        time.Now += TimeSpan.FromHours(1);
        Assert.True(manager.Refresh());
        CookieKeySet second = manager.Store.Current;
        // A codec may still be copying from the set just replaced: it stays intact for one more rotation.
        Assert.False(first.IsCleared);

        time.Now += TimeSpan.FromHours(1);
        Assert.True(manager.Refresh());
        Assert.True(first.IsCleared);
        Assert.False(second.IsCleared);
        Assert.False(manager.Store.Current.IsCleared);
    }

    [Fact]
    public void Dispose_ZeroesEverySetStillHeld()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var manager = new CookieKeyManager(Secret, TimeSpan.FromHours(1), 2, time, startTimer: false);
        CookieKeySet first = manager.Store.Current;
        time.Now += TimeSpan.FromHours(1);
        manager.Refresh();

        manager.Dispose();

        Assert.True(first.IsCleared);
        Assert.True(manager.Store.Current.IsCleared);
    }

    [Fact]
    public void ReplaceSecret_DerivesFromTheNewSecretOnlyWhenItDiffers()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var manager = new CookieKeyManager(Secret, TimeSpan.FromHours(1), 2, time, startTimer: false);
        CookieKeySet before = manager.Store.Current;

        Assert.False(manager.ReplaceSecret(Secret));
        Assert.Same(before, manager.Store.Current);

        byte[] other = [.. Secret.Reverse()];
        Assert.True(manager.ReplaceSecret(other));
        using var expected = new CookieKeyManager(other, TimeSpan.FromHours(1), 2, time, startTimer: false);
        Assert.Equal(expected.Store.Current.Epoch, manager.Store.Current.Epoch);
        Assert.NotSame(before, manager.Store.Current);
        // Same derivation as a manager that started with the new secret: a cookie one seals, the other opens.
        var sealer = new NtsCookieCodec(expected.Store, new RandomPool());
        Assert.True(CookieRoundTrip(sealer, new NtsCookieCodec(manager.Store, new RandomPool())));
    }

    private static bool CookieRoundTrip(NtsCookieCodec sealer, NtsCookieCodec opener)
    {
        byte[] c2s = new byte[32], s2c = new byte[32];
        c2s.AsSpan().Fill(1);
        s2c.AsSpan().Fill(2);
        byte[] cookie = new byte[NtsCookieCodec.CookieLength(FastNtp.Crypto.AeadAlgorithm.AesSivCmac256)];
        sealer.Seal(FastNtp.Crypto.AeadAlgorithm.AesSivCmac256, c2s, s2c, cookie);
        byte[] keys = new byte[64];
        return opener.Open(cookie, out _, keys, out _) == CookieOpenResult.Ok;
    }
}
