using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

public sealed class SessionAeadCacheTests
{
    private const int Entries = 16;
    private const int Sets = Entries / SessionAeadCache.Ways;

    private static readonly AeadAlgorithm[] Algorithms =
        [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.Aes128GcmSiv];

    /// <summary>A random pair whose C2S key falls in <paramref name="set"/> (its first four octets pick the set).</summary>
    private static (byte[] C2S, byte[] S2C) Pair(Random rng, AeadAlgorithm algorithm, int set)
    {
        int n = Aead.KeyLength(algorithm);
        byte[] c2s = new byte[n], s2c = new byte[n];
        rng.NextBytes(c2s);
        rng.NextBytes(s2c);
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(c2s);
        BinaryPrimitives.WriteUInt32LittleEndian(c2s, first - first % Sets + (uint)set);
        return (c2s, s2c);
    }

    /// <summary>True when <paramref name="aead"/> seals exactly as a new object keyed with <paramref name="key"/>.</summary>
    private static bool KeyedWith(Aead aead, AeadAlgorithm algorithm, byte[] key)
    {
        using var fresh = Aead.Create(algorithm, key);
        byte[] nonce = new byte[fresh.NonceLength];
        byte[] a = new byte[Aead.SealedLength(20)], b = new byte[a.Length];
        byte[] plaintext = new byte[20];
        aead.Seal(nonce, [1, 2, 3], plaintext, a);
        fresh.Seal(nonce, [1, 2, 3], plaintext, b);
        return a.AsSpan().SequenceEqual(b);
    }

    [Fact]
    public void Cache_HandsOutObjectsKeyedWithThePairAndReusesThemForTheSamePair()
    {
        var rng = new Random(1);
        using var cache = new SessionAeadCache(Entries);
        foreach (AeadAlgorithm algorithm in Algorithms)
        {
            (byte[] c2s, byte[] s2c) = Pair(rng, algorithm, 0);
            cache.Get(algorithm, c2s, s2c, out Aead c2sAead, out Aead s2cAead);
            Assert.NotSame(c2sAead, s2cAead);
            Assert.Equal(algorithm, c2sAead.Algorithm);
            Assert.True(KeyedWith(c2sAead, algorithm, c2s));
            Assert.True(KeyedWith(s2cAead, algorithm, s2c));

            Assert.True(cache.Get(algorithm, (byte[])c2s.Clone(), (byte[])s2c.Clone(), out Aead again, out Aead againS2c));
            Assert.Same(c2sAead, again);
            Assert.Same(s2cAead, againS2c);
        }
    }

    public static TheoryData<AeadAlgorithm> EveryAlgorithm => [.. Algorithms];

    [Theory]
    [MemberData(nameof(EveryAlgorithm))]
    public void PairThatDiffersInAnyOctet_IsAMiss(AeadAlgorithm algorithm)
    {
        var rng = new Random(2);
        using var cache = new SessionAeadCache(Entries);
        (byte[] c2s, byte[] s2c) = Pair(rng, algorithm, 1);
        Assert.False(cache.Get(algorithm, c2s, s2c, out _, out _));

        // Flip each octet after the set-selecting ones in turn (in C2S, then in S2C): never a hit, always keyed correctly.
        for (int i = 4; i < 2 * c2s.Length; i++)
        {
            byte[] c = (byte[])c2s.Clone(), s = (byte[])s2c.Clone();
            if (i < c.Length) c[i] ^= 0x80;
            else s[i - c.Length] ^= 0x01;
            Assert.False(cache.Get(algorithm, c, s, out Aead c2sAead, out Aead s2cAead));
            Assert.True(KeyedWith(c2sAead, algorithm, c));
            Assert.True(KeyedWith(s2cAead, algorithm, s));
        }
    }

    [Fact]
    public void FullSet_EvictsItsLeastRecentlyUsedPair()
    {
        var rng = new Random(3);
        using var cache = new SessionAeadCache(Entries);
        const AeadAlgorithm algorithm = AeadAlgorithm.Aes128GcmSiv;
        var pairs = new List<(byte[] C2S, byte[] S2C)>();
        for (int i = 0; i < SessionAeadCache.Ways; i++)
        {
            pairs.Add(Pair(rng, algorithm, 2));
            cache.Get(algorithm, pairs[i].C2S, pairs[i].S2C, out _, out _);
        }

        // Pairs in other sets do not disturb set 2.
        for (int i = 0; i < 3 * Entries; i++)
        {
            (byte[] c, byte[] s) = Pair(rng, algorithm, i % Sets == 2 ? 3 : i % Sets);
            cache.Get(algorithm, c, s, out _, out _);
        }

        // Touch pair 0, so pair 1 is now the least recently used; a new pair in the set replaces it.
        cache.Get(algorithm, pairs[0].C2S, pairs[0].S2C, out Aead kept, out _);
        (byte[] c2s, byte[] s2c) = Pair(rng, algorithm, 2);
        cache.Get(algorithm, c2s, s2c, out Aead reKeyed, out _);
        Assert.True(KeyedWith(kept, algorithm, pairs[0].C2S));
        Assert.NotSame(kept, reKeyed);

        foreach (int survivor in (int[])[0, 2, 3])
        {
            Assert.True(cache.Get(algorithm, pairs[survivor].C2S, pairs[survivor].S2C, out _, out _));
        }

        Assert.False(cache.Get(algorithm, pairs[1].C2S, pairs[1].S2C, out Aead back, out _));
        Assert.True(KeyedWith(back, algorithm, pairs[1].C2S));
    }

    [Fact]
    public void Misses_AllocateNothingOnceAnAlgorithmsPoolExists()
    {
        Assert.True(Aead.IsHardwareAccelerated, "The zero-allocation guarantee is for the AES hardware path.");
        var rng = new Random(4);
        using var cache = new SessionAeadCache(Entries);
        var pairs = new (byte[] C2S, byte[] S2C)[Algorithms.Length * 4 * Entries];
        for (int i = 0; i < pairs.Length; i++) pairs[i] = Pair(rng, Algorithms[i % Algorithms.Length], i / Algorithms.Length % Sets);
        for (int i = 0; i < pairs.Length; i++) cache.Get(Algorithms[i % Algorithms.Length], pairs[i].C2S, pairs[i].S2C, out _, out _);

        int hits = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < pairs.Length; i++)
            {
                if (cache.Get(Algorithms[i % Algorithms.Length], pairs[i].C2S, pairs[i].S2C, out _, out _)) hits++;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // Four times the capacity per algorithm, cycled in order: LRU evicts every pair before it comes back.
        Assert.Equal(0, hits);
    }

    [Fact]
    public void WrongKeyLengthsAndSizes_AreRejected()
    {
        using var cache = new SessionAeadCache(Entries);
        Assert.Throws<ArgumentException>(() => cache.Get(AeadAlgorithm.AesSivCmac256, new byte[32], new byte[16], out _, out _));
        Assert.Throws<ArgumentException>(() => cache.Get(AeadAlgorithm.Aes128GcmSiv, new byte[32], new byte[32], out _, out _));
        Assert.Throws<ArgumentException>(() => cache.Get((AeadAlgorithm)18, new byte[32], new byte[32], out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionAeadCache(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionAeadCache(24));
    }

    [Fact]
    public void Dispose_DisposesEveryKeyObject()
    {
        var cache = new SessionAeadCache(Entries);
        cache.Get(AeadAlgorithm.AesSivCmac256, new byte[32], Enumerable.Repeat((byte)1, 32).ToArray(), out Aead c2sAead, out Aead s2cAead);
        cache.Dispose();
        byte[] output = new byte[Aead.SealedLength(0)];
        Assert.Throws<ObjectDisposedException>(() => c2sAead.Seal(new byte[16], [], [], output));
        Assert.Throws<ObjectDisposedException>(() => s2cAead.Seal(new byte[16], [], [], output));
    }
}
