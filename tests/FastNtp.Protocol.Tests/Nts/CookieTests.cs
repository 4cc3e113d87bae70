using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

public class CookieTests
{
    [Fact]
    public void SameSecretAndEpoch_GiveSameKeys()
    {
        byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.Equal(CookieKeySet.DeriveKey(secret, 42), CookieKeySet.DeriveKey(secret, 42));
        Assert.NotEqual(CookieKeySet.DeriveKey(secret, 42), CookieKeySet.DeriveKey(secret, 43));
        byte[] other = (byte[])secret.Clone();
        other[0] ^= 1;
        Assert.NotEqual(CookieKeySet.DeriveKey(secret, 42), CookieKeySet.DeriveKey(other, 42));
        Assert.Equal(Aead.KeyLength(CookieKeySet.CookieAlgorithm), CookieKeySet.DeriveKey(secret, 1).Length);
    }

    [Fact]
    public void Epoch_IsFloorOfTimeOverRotation()
    {
        Assert.Equal(0, CookieKeySet.EpochAt(86399, TimeSpan.FromDays(1)));
        Assert.Equal(1, CookieKeySet.EpochAt(86400, TimeSpan.FromDays(1)));
        Assert.Equal(-1, CookieKeySet.EpochAt(-1, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void KeySet_HoldsStaleCurrentAndNextEpochs()
    {
        var set = CookieKeySet.Derive(new byte[32], 100, 7);
        Assert.Equal(9, set.Count);
        Assert.Equal(-1, set.IndexOf(92));
        Assert.Equal(0, set.IndexOf(93));
        Assert.Equal(7, set.IndexOf(100));
        Assert.Equal(8, set.IndexOf(101));
        Assert.Equal(-1, set.IndexOf(102));
    }

    [Fact]
    public void Cookie_RoundTripsForEveryAlgorithm()
    {
        var pool = new RandomPool();
        using var codec = new NtsCookieCodec(new CookieKeyStore(CookieKeySet.Derive(new byte[32], 5, 2)), pool);
        Prop.ForAll(Gen.Elements(AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.Aes128GcmSiv).ToArbitrary(), algorithm =>
        {
            int n = Aead.KeyLength(algorithm);
            byte[] c2s = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
            byte[] s2c = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
            byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
            int length = codec.Seal(algorithm, c2s, s2c, cookie);
            Assert.Equal(NtsCookieCodec.CookieLength(algorithm), length);
            Assert.Equal(0, length % 4);
            byte[] keys = new byte[128];
            Assert.Equal(CookieOpenResult.Ok, codec.Open(cookie.AsSpan(0, length), out AeadAlgorithm opened, keys, out int keyLength));
            Assert.Equal(algorithm, opened);
            Assert.Equal(c2s, keys[..keyLength]);
            Assert.Equal(s2c, keys[keyLength..(2 * keyLength)]);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void CookieFromOneInstance_OpensInAnotherWithTheSameSecret()
    {
        byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        using var issuer = new NtsCookieCodec(new CookieKeyStore(CookieKeySet.Derive(secret, 20000, 7)), new RandomPool());
        // The second server is one epoch ahead (its rotation already happened): the cookie is still good.
        using var verifier = new NtsCookieCodec(new CookieKeyStore(CookieKeySet.Derive(secret, 20001, 7)), new RandomPool());
        byte[] c2s = new byte[32], s2c = new byte[32];
        c2s[0] = 1;
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int length = issuer.Seal(AeadAlgorithm.AesSivCmac256, c2s, s2c, cookie);
        Assert.Equal(CookieOpenResult.Ok, verifier.Open(cookie.AsSpan(0, length), out _, new byte[128], out _));
    }

    [Fact]
    public void DamagedCookies_DoNotOpen()
    {
        using var codec = new NtsCookieCodec(new CookieKeyStore(CookieKeySet.Derive(new byte[32], 5, 2)), new RandomPool());
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int length = codec.Seal(AeadAlgorithm.AesSivCmac256, new byte[32], new byte[32], cookie);
        byte[] keys = new byte[128];
        for (int i = 0; i < length; i++)
        {
            byte[] damaged = cookie[..length];
            damaged[i] ^= 0x80;
            CookieOpenResult expected = i < 4 ? CookieOpenResult.UnknownKey : CookieOpenResult.Invalid;
            // Flipping the top bit of the key id lands far outside the held epochs.
            Assert.Equal(expected, codec.Open(damaged, out _, keys, out _));
        }

        Assert.Equal(CookieOpenResult.Invalid, codec.Open(cookie.AsSpan(0, 30), out _, keys, out _));
        Assert.Equal(CookieOpenResult.Invalid, codec.Open(new byte[400], out _, keys, out _));
        byte[] wrongEpoch = cookie[..length];
        BinaryPrimitives.WriteUInt32BigEndian(wrongEpoch, 4);
        Assert.Equal(CookieOpenResult.Invalid, codec.Open(wrongEpoch, out _, keys, out _));
    }
}
