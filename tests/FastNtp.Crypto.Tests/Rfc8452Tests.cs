using System.Runtime.Intrinsics;
using FastNtp.Crypto.Internal;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>Every AEAD_AES_128_GCM_SIV example of RFC 8452 appendix C.1, on both implementations.</summary>
public sealed class Rfc8452Tests
{
    public static TheoryData<int, Backend> Cases()
    {
        var data = new TheoryData<int, Backend>();
        for (int i = 0; i < Rfc8452Vectors.All.Count; i++)
        {
            foreach (Backend backend in Backends)
            {
                data.Add(i, backend);
            }
        }

        return data;
    }

    [Fact]
    public void Vectors_AreAllTwentyFourLoaded()
    {
        Assert.Equal(24, Rfc8452Vectors.All.Count);
        foreach (Rfc8452Vector v in Rfc8452Vectors.All)
        {
            Assert.Equal(v.Plaintext.Length + 16, v.Result.Length);
            Assert.Equal(v.Tag, v.Result[^16..]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seal_MatchesTheRfc(int index, Backend backend)
    {
        Rfc8452Vector v = Rfc8452Vectors.All[index];
        using Aead aead = Create(AeadAlgorithm.Aes128GcmSiv, v.Key, backend);
        byte[] output = new byte[Aead.SealedLength(v.Plaintext.Length)];

        aead.Seal(v.Nonce, v.Aad, v.Plaintext, output);

        Assert.Equal(ToHex(v.Result), ToHex(output));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_RecoversThePlaintext(int index, Backend backend)
    {
        Rfc8452Vector v = Rfc8452Vectors.All[index];
        using Aead aead = Create(AeadAlgorithm.Aes128GcmSiv, v.Key, backend);
        byte[] plaintext = new byte[v.Plaintext.Length];

        Assert.True(aead.Open(v.Nonce, v.Aad, v.Result, plaintext));
        Assert.Equal(v.Plaintext, plaintext);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KeyDerivation_MatchesTheRfc(int index, Backend backend)
    {
        Rfc8452Vector v = Rfc8452Vectors.All[index];
        using var aead = new AesGcmSiv(v.Key, backend.ToImplementation());

        aead.DeriveKeys(v.Nonce, out Vector128<byte> authenticationKey, out Vector128<byte> encryptionKey);

        Assert.Equal(ToHex(v.AuthenticationKey), ToHex(Bytes(authenticationKey)));
        Assert.Equal(ToHex(v.EncryptionKey), ToHex(Bytes(encryptionKey)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Polyval_MatchesTheRfc(int index, Backend backend)
    {
        Rfc8452Vector v = Rfc8452Vectors.All[index];
        var h = Vector128.Create(v.AuthenticationKey);
        Vector128<byte> result;
        if (backend == Backend.Hardware)
        {
            // Run it both ways: block by block, and as one stream (aggregated 4 blocks at a time when long).
            var byBlock = new PolyvalHardware(h, 1);
            for (int i = 0; i < v.PolyvalInput.Length; i += 16)
            {
                byBlock.UpdateBlock(Vector128.Create(v.PolyvalInput, i));
            }

            var stream = new PolyvalHardware(h, 100);
            stream.Update(v.PolyvalInput);
            Assert.Equal(byBlock.Result, stream.Result);
            result = byBlock.Result;
        }
        else
        {
            var portable = new PolyvalPortable(h);
            portable.Update(v.PolyvalInput);
            result = portable.Result;
        }

        Assert.Equal(ToHex(v.PolyvalResult), ToHex(Bytes(result)));
    }

    /// <summary>RFC 8452 appendix A's worked POLYVAL example (two blocks).</summary>
    [Fact]
    public void Polyval_MatchesTheAppendixAExample()
    {
        var h = Vector128.Create(Hex("25629347589242761d31f826ba4b757b"));
        byte[] input = Hex("4f4f95668c83dfb6401762bb2d01a262 d1a24ddd2721d006bbe45f20d3c9f362");
        var hardware = new PolyvalHardware(h, 2);
        hardware.Update(input);
        var portable = new PolyvalPortable(h);
        portable.Update(input);

        Assert.Equal("f7a3b47b846119fae5b7866cf5e5b77e", ToHex(Bytes(hardware.Result)));
        Assert.Equal("f7a3b47b846119fae5b7866cf5e5b77e", ToHex(Bytes(portable.Result)));
    }

    private static byte[] Bytes(Vector128<byte> v)
    {
        byte[] bytes = new byte[16];
        v.CopyTo(bytes);
        return bytes;
    }
}
