using FsCheck;
using FsCheck.Fluent;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary><see cref="Aead.SetKey"/>: a re-keyed object behaves exactly like a new one, and re-keying allocates nothing.</summary>
public sealed class SetKeyTests
{
    public static TheoryData<AeadAlgorithm, Backend> Every => AlgorithmsAndBackends();

    public static TheoryData<AeadAlgorithm> EveryAlgorithm => [.. Algorithms];

    private static byte[] Seal(Aead aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedData = new byte[Aead.SealedLength(plaintext.Length)];
        aead.Seal(nonce, ad, plaintext, sealedData);
        return sealedData;
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void ReKeyedObject_SealsAndOpensLikeAFreshOne(AeadAlgorithm algorithm, Backend backend)
    {
        var rng = new Random(42 + (int)algorithm);
        int keyLength = Aead.KeyLength(algorithm);
        byte[] first = Random(rng, keyLength);
        byte[] second = Random(rng, keyLength);
        using Aead reKeyed = Create(algorithm, first, backend);
        using Aead fresh = Create(algorithm, second, backend);
        byte[] nonce = Random(rng, reKeyed.NonceLength);
        byte[] ad = Random(rng, 300);
        byte[] plaintext = Random(rng, 300);
        byte[] underFirst = Seal(reKeyed, nonce, ad, plaintext);

        reKeyed.SetKey(second);

        // Lengths around the block, CMAC-tail and 8-block CTR edges; AD lengths cover the POLYVAL aggregation threshold.
        foreach (int length in (ReadOnlySpan<int>)[0, 1, 15, 16, 17, 31, 32, 33, 70, 128, 129, 300])
        {
            ReadOnlySpan<byte> a = ad.AsSpan(0, 300 - length);
            ReadOnlySpan<byte> p = plaintext.AsSpan(0, length);
            byte[] expected = Seal(fresh, nonce, a, p);
            Assert.Equal(ToHex(expected), ToHex(Seal(reKeyed, nonce, a, p)));
            byte[] opened = new byte[length];
            Assert.True(reKeyed.Open(nonce, a, expected, opened));
            Assert.Equal(ToHex(p), ToHex(opened));
        }

        // The old key is gone: what it sealed no longer opens, until it is set again.
        byte[] plain = new byte[plaintext.Length];
        Assert.False(reKeyed.Open(nonce, ad, underFirst, plain));
        reKeyed.SetKey(first);
        Assert.True(reKeyed.Open(nonce, ad, underFirst, plain));
        Assert.Equal(ToHex(plaintext), ToHex(plain));
    }

    [Theory]
    [MemberData(nameof(BackendData), MemberType = typeof(TestSupport))]
    public void ReKeyedSiv_MatchesAFreshOneOnEveryEntryPoint(Backend backend)
    {
        // The vector form, S2V and the incremental builder use the cached CMAC constants, which SetKey must recompute.
        var rng = new Random(7);
        foreach (AeadAlgorithm algorithm in (ReadOnlySpan<AeadAlgorithm>)[AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512])
        {
            byte[] key = Random(rng, Aead.KeyLength(algorithm));
            using var reKeyed = (AesSiv)Create(algorithm, Random(rng, key.Length), backend);
            using var fresh = (AesSiv)Create(algorithm, key, backend);
            reKeyed.SetKey(key);
            ReadOnlyMemory<byte>[] components = [Random(rng, 24), Random(rng, 5), Random(rng, 40)];
            byte[] plaintext = Random(rng, 50);

            byte[] a = new byte[Aead.SealedLength(plaintext.Length)];
            byte[] b = new byte[a.Length];
            fresh.Seal(components, plaintext, a);
            reKeyed.Seal(components, plaintext, b);
            Assert.Equal(ToHex(a), ToHex(b));

            byte[] v1 = new byte[16], v2 = new byte[16];
            fresh.S2V([], v1);
            reKeyed.S2V([], v2);
            Assert.Equal(ToHex(v1), ToHex(v2));
            S2VBuilder builder = reKeyed.CreateS2V();
            builder.Add(components[0].Span);
            builder.Finish(plaintext, v2);
            fresh.S2V([components[0], plaintext], v1);
            Assert.Equal(ToHex(v1), ToHex(v2));
        }
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void WrongKeyLength_ThrowsAndLeavesTheKeyUnchanged(AeadAlgorithm algorithm, Backend backend)
    {
        int keyLength = Aead.KeyLength(algorithm);
        byte[] key = Random(new Random(3), keyLength);
        using Aead aead = Create(algorithm, key, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] before = Seal(aead, nonce, [1, 2, 3], [4, 5, 6]);

        foreach (int wrong in (ReadOnlySpan<int>)[0, 1, keyLength - 1, keyLength + 1, 16, 32, 48, 64, 128])
        {
            if (wrong != keyLength)
            {
                Assert.Throws<ArgumentException>("key", () => aead.SetKey(new byte[wrong]));
            }
        }

        Assert.Equal(ToHex(before), ToHex(Seal(aead, nonce, [1, 2, 3], [4, 5, 6])));
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void SetKeyAfterDispose_Throws(AeadAlgorithm algorithm, Backend backend)
    {
        Aead aead = ZeroKey(algorithm, backend);
        aead.Dispose();
        Assert.Throws<ObjectDisposedException>(() => aead.SetKey(new byte[Aead.KeyLength(algorithm)]));
    }

    [Theory]
    [MemberData(nameof(EveryAlgorithm))]
    public void SetKeyAndSeal_AllocateNothingOnTheHardwarePath(AeadAlgorithm algorithm)
    {
        int keyLength = Aead.KeyLength(algorithm);
        byte[] keys = Random(new Random(11), 8 * keyLength);
        using Aead aead = Create(algorithm, keys.AsSpan(0, keyLength), Backend.Hardware);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] ad = new byte[64];
        byte[] plaintext = new byte[70];
        byte[] sealedData = new byte[Aead.SealedLength(plaintext.Length)];
        byte[] opened = new byte[plaintext.Length];
        Assert.Equal(0, AllocatedBy(i =>
        {
            aead.SetKey(keys.AsSpan(i % 8 * keyLength, keyLength));
            aead.Seal(nonce, ad, plaintext, sealedData);
            Assert.True(aead.Open(nonce, ad, sealedData, opened));
        }, warmUps: 16, rounds: 1000));
    }

    [Fact]
    public void AnySequenceOfKeys_MatchesFreshObjects()
    {
        // One long-lived object per backend walks through a generated sequence of keys and must agree with a new object each time.
        Gen<byte[]> keys = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 64);
        Gen<(AeadAlgorithm, byte[][])> cases =
            from algorithm in Gen.Elements(Algorithms)
            from sequence in Gen.ArrayOf(keys, 3)
            select (algorithm, sequence);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (AeadAlgorithm algorithm, byte[][] sequence) = c;
            int keyLength = Aead.KeyLength(algorithm);
            foreach (Backend backend in Backends)
            {
                using Aead reKeyed = Create(algorithm, new byte[keyLength], backend);
                byte[] nonce = new byte[reKeyed.NonceLength];
                foreach (byte[] k in sequence)
                {
                    ReadOnlySpan<byte> key = k.AsSpan(0, keyLength);
                    reKeyed.SetKey(key);
                    using Aead fresh = Create(algorithm, key, backend);
                    if (!Seal(reKeyed, nonce, k, k).AsSpan().SequenceEqual(Seal(fresh, nonce, k, k)))
                    {
                        return false;
                    }
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }
}
