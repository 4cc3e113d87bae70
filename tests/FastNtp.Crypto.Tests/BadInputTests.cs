using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>Bad data returns false and leaves no plaintext; caller bugs and configuration errors throw.</summary>
public sealed class BadInputTests
{
    public static TheoryData<AeadAlgorithm, Backend> Every => AlgorithmsAndBackends();

    [Theory]
    [MemberData(nameof(Every))]
    public void SealedDataShorterThanATag_IsRejected(AeadAlgorithm algorithm, Backend backend)
    {
        using Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] destination = new byte[32];
        for (int length = 0; length < Aead.TagLength; length++)
        {
            Assert.False(aead.Open(nonce, [], new byte[length], destination));
        }
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void AnyFlippedBit_IsRejectedAndThePlaintextZeroed(AeadAlgorithm algorithm, Backend backend)
    {
        var rng = new Random((int)algorithm);
        using Aead aead = Create(algorithm, TestSupport.Random(rng, Aead.KeyLength(algorithm)), backend);
        byte[] nonce = TestSupport.Random(rng, aead.NonceLength);
        byte[] ad = TestSupport.Random(rng, 40);
        byte[] plaintext = TestSupport.Random(rng, 37);
        byte[] sealedData = new byte[Aead.SealedLength(plaintext.Length)];
        aead.Seal(nonce, ad, plaintext, sealedData);
        byte[] opened = new byte[plaintext.Length];

        for (int bit = 0; bit < sealedData.Length * 8; bit++)
        {
            byte[] tampered = (byte[])sealedData.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Array.Fill(opened, (byte)0xA5);
            Assert.False(aead.Open(nonce, ad, tampered, opened));
            Assert.True(opened.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        }

        for (int bit = 0; bit < ad.Length * 8; bit += 7)
        {
            byte[] tamperedAd = (byte[])ad.Clone();
            tamperedAd[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(aead.Open(nonce, tamperedAd, sealedData, opened));
        }

        byte[] otherNonce = (byte[])nonce.Clone();
        otherNonce[^1] ^= 1;
        Assert.False(aead.Open(otherNonce, ad, sealedData, opened));
        Assert.False(aead.Open(nonce, ad, sealedData[..^1], opened));
        Assert.True(aead.Open(nonce, ad, sealedData, opened));
        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void LongerDestination_HasOnlyItsPlaintextPartTouched(AeadAlgorithm algorithm, Backend backend)
    {
        using Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] sealedData = SealZeros(aead, 10);
        sealedData[0] ^= 1;
        byte[] destination = Enumerable.Repeat((byte)0xEE, 40).ToArray();

        Assert.False(aead.Open(nonce, [], sealedData, destination));

        Assert.True(destination.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(destination.AsSpan(10).IndexOfAnyExcept((byte)0xEE) < 0);
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256, 16)]
    [InlineData(AeadAlgorithm.AesSivCmac256, 48)]
    [InlineData(AeadAlgorithm.AesSivCmac384, 32)]
    [InlineData(AeadAlgorithm.AesSivCmac512, 32)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 32)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 0)]
    public void WrongKeyLength_IsAConfigurationError(AeadAlgorithm algorithm, int keyLength) => Assert.Throws<ArgumentException>(() => Aead.Create(algorithm, new byte[keyLength]));

    [Fact]
    public void UnknownAlgorithm_IsAConfigurationError()
    {
        Assert.Throws<ArgumentException>(() => Aead.Create((AeadAlgorithm)1, new byte[16]));
        Assert.Throws<ArgumentException>(() => Aead.KeyLength((AeadAlgorithm)31));
        Assert.Throws<ArgumentException>(() => new AesSiv(new byte[16]));
        Assert.Throws<ArgumentException>(() => new AesGcmSiv(new byte[32]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(16)]
    public void GcmSivNonce_MustBeTwelveBytes(int nonceLength)
    {
        using var aead = Aead.Create(AeadAlgorithm.Aes128GcmSiv, new byte[16]);
        byte[] destination = new byte[32];

        Assert.Throws<ArgumentException>(() => aead.Seal(new byte[nonceLength], [], new byte[4], destination));
        Assert.Throws<ArgumentException>(() => aead.Open(new byte[nonceLength], [], new byte[20], destination));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(100)]
    public void Siv_TakesAnyNonceOfAtLeastOneByte(int nonceLength)
    {
        using var aead = Aead.Create(AeadAlgorithm.AesSivCmac256, new byte[32]);
        byte[] nonce = new byte[nonceLength];
        byte[] sealedData = new byte[Aead.SealedLength(5)];
        aead.Seal(nonce, [], [1, 2, 3, 4, 5], sealedData);
        byte[] opened = new byte[5];

        Assert.True(aead.Open(nonce, [], sealedData, opened));
        Assert.Throws<ArgumentException>(() => aead.Seal([], [], [1], new byte[17]));
        Assert.Throws<ArgumentException>(() => aead.Open([], [], sealedData, opened));
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void ShortDestinations_AreCallerBugs(AeadAlgorithm algorithm, Backend backend)
    {
        using Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] sealedData = SealZeros(aead, 20);

        Assert.Throws<ArgumentException>(() => aead.Seal(nonce, [], new byte[20], new byte[35]));
        Assert.Throws<ArgumentException>(() => aead.Open(nonce, [], sealedData, new byte[19]));
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void OverlappingBuffers_AreCallerBugsButAdjacentSlicesAreFine(AeadAlgorithm algorithm, Backend backend)
    {
        using Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] buffer = new byte[200];

        // An NTS packet: AD first, the sealed field right after it in the same buffer.
        aead.Seal(nonce, buffer.AsSpan(0, 100), new byte[30], buffer.AsSpan(100));
        Assert.True(aead.Open(nonce, buffer.AsSpan(0, 100), buffer.AsSpan(100, 46), new byte[30]));

        Assert.Throws<ArgumentException>(() => aead.Seal(nonce, buffer.AsSpan(0, 100), new byte[30], buffer.AsSpan(99)));
        Assert.Throws<ArgumentException>(() => aead.Seal(nonce, [], buffer.AsSpan(0, 30), buffer.AsSpan(20)));
        Assert.Throws<ArgumentException>(() => aead.Open(nonce, [], buffer.AsSpan(100, 46), buffer.AsSpan(110)));
        Assert.Throws<ArgumentException>(() => aead.Open(nonce, buffer.AsSpan(0, 100), buffer.AsSpan(100, 46), buffer.AsSpan(90)));
    }

    [Fact]
    public void MoreThan126AssociatedDataItems_AreRejected()
    {
        using var siv = new AesSiv(new byte[32]);
        var items = new ReadOnlyMemory<byte>[127];
        byte[] output = new byte[Aead.SealedLength(1)];
        siv.Seal(items.AsSpan(0, 126), [1], output);

        Assert.Throws<ArgumentException>(() => siv.Seal(items, [1], output));
        Assert.Throws<ArgumentException>(() => siv.Open(items, output, new byte[1]));
        Assert.Throws<ArgumentException>(() => siv.S2V(new ReadOnlyMemory<byte>[128], new byte[16]));
        siv.S2V(items, new byte[16]);
        Assert.Throws<InvalidOperationException>(() =>
        {
            S2VBuilder builder = siv.CreateS2V();
            for (int i = 0; i < 127; i++)
            {
                builder.Add([]);
            }
        });
        Assert.Throws<InvalidOperationException>(() => default(S2VBuilder).Add([]));
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void DisposedKeys_Throw(AeadAlgorithm algorithm, Backend backend)
    {
        Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        aead.Dispose();
        aead.Dispose();

        Assert.Throws<ObjectDisposedException>(() => aead.Seal(nonce, [], [], new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => aead.Open(nonce, [], new byte[16], []));
    }
}
