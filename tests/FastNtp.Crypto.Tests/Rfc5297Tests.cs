using System.Runtime.Intrinsics;
using FastNtp.Crypto.Internal;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>RFC 5297 appendix A, including the intermediate S2V values, and the RFC 4493 CMAC examples.</summary>
public sealed class Rfc5297Tests
{
    // A.1 Deterministic Authenticated Encryption Example.
    private const string A1Key = "fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff";
    private const string A1Ad = "10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627";
    private const string A1Plaintext = "11223344 55667788 99aabbcc ddee";
    private const string A1Output = "85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c";

    // A.2 Nonce-Based Authenticated Encryption Example.
    private const string A2Key = "7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f";
    private const string A2Ad1 = "00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100";
    private const string A2Ad2 = "10203040 50607080 90a0";
    private const string A2Nonce = "09f91102 9d74e35b d84156c5 635688c0";
    private const string A2Plaintext = "74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 74207573 696e6720 5349562d 414553";
    private const string A2Output =
        "7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d";

    public static TheoryData<Backend> Backends => BackendData();

    [Theory]
    [MemberData(nameof(Backends))]
    public void A1_DeterministicEncryption(Backend backend)
    {
        using AesSiv siv = Siv(A1Key, backend);
        byte[] ad = Hex(A1Ad), plaintext = Hex(A1Plaintext);
        byte[] output = new byte[Aead.SealedLength(plaintext.Length)];

        siv.Seal([ad], plaintext, output);

        Assert.Equal(Hex(A1Output), output);
        byte[] opened = new byte[plaintext.Length];
        Assert.True(siv.Open([ad], output, opened));
        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A1_IntermediateValues(Backend backend)
    {
        using AesSiv siv = Siv(A1Key, backend);
        Vector128<byte> cmacZero = siv.ComputeCmac(new byte[16]);

        Assert.Equal("0e04dfafc1efbf040140582859bf073a", ToHex(Bytes(cmacZero)));
        Assert.Equal("1c09bf5f83df7e080280b050b37e0e74", ToHex(Bytes(Block.Dbl(cmacZero))));
        Assert.Equal("f1f922b7f5193ce64ff80cb47d93f23b", ToHex(Bytes(siv.ComputeCmac(Hex(A1Ad)))));
        Assert.Equal("dbe13bd0ed8c85dc9af179c99ddbf819", ToHex(Bytes(Block.Dbl(Vector128.Create(Hex("edf09de876c642ee4d78bce4ceedfc4f"))))));

        byte[] v = new byte[16];
        siv.S2V([Hex(A1Ad), Hex(A1Plaintext)], v);
        Assert.Equal("85632d07c6e8f37f950acd320a2ecc93", ToHex(v));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A2_NonceBasedEncryption(Backend backend)
    {
        using AesSiv siv = Siv(A2Key, backend);
        byte[] ad1 = Hex(A2Ad1), ad2 = Hex(A2Ad2), nonce = Hex(A2Nonce), plaintext = Hex(A2Plaintext);
        byte[] output = new byte[Aead.SealedLength(plaintext.Length)];

        siv.Seal([ad1, ad2, nonce], plaintext, output);

        Assert.Equal(Hex(A2Output), output);
        byte[] opened = new byte[plaintext.Length];
        Assert.True(siv.Open([ad1, ad2, nonce], output, opened));
        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A2_IntermediateValues(Backend backend)
    {
        using AesSiv siv = Siv(A2Key, backend);

        Assert.Equal("c8b43b5974960e7ce6a5dd85231e591a", ToHex(Bytes(siv.ComputeCmac(new byte[16]))));
        Assert.Equal("916876b2e92c1cf9cd4bbb0a463cb2b3", ToHex(Bytes(Block.Dbl(siv.ComputeCmac(new byte[16])))));
        Assert.Equal("3c9b689ab41102e4809547141dd0d15a", ToHex(Bytes(siv.ComputeCmac(Hex(A2Ad1)))));
        Assert.Equal("d98c9b0be42cb2d7aa98478ed11eda1b", ToHex(Bytes(siv.ComputeCmac(Hex(A2Ad2)))));
        Assert.Equal("128c62a1ce3747a8372c1c05a538b96d", ToHex(Bytes(siv.ComputeCmac(Hex(A2Nonce)))));

        // CMAC(final) is AES-CMAC over the xorend string the RFC lists.
        Assert.Equal(
            "7bdb6e3b432667eb06f4d14bff2fbd0f",
            ToHex(Bytes(siv.ComputeCmac(Hex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727966 2d0c6201 f3341575 342a3745 f5c625")))));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A2_ThroughTheIncrementalBuilder(Backend backend)
    {
        using AesSiv siv = Siv(A2Key, backend);
        S2VBuilder s2v = siv.CreateS2V();
        s2v.Add(Hex(A2Ad1));
        s2v.Add(Hex(A2Ad2));
        s2v.Add(Hex(A2Nonce));
        byte[] v = new byte[16];

        s2v.Finish(Hex(A2Plaintext), v);

        Assert.Equal("7bdb6e3b432667eb06f4d14bff2fbd0f", ToHex(v));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A2_WithNonceInterfaceWhenTheTwoAdItemsAreOne(Backend backend)
    {
        // The AEAD interface is S2V(AD, N, P); it matches the general form with one AD item.
        using AesSiv siv = Siv(A2Key, backend);
        byte[] ad = Hex(A2Ad1), nonce = Hex(A2Nonce), plaintext = Hex(A2Plaintext);
        byte[] general = new byte[Aead.SealedLength(plaintext.Length)];
        byte[] aead = new byte[general.Length];

        siv.Seal([ad, nonce], plaintext, general);
        siv.Seal(nonce, ad, plaintext, aead);

        Assert.Equal(general, aead);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void S2VOfNoComponents_IsCmacOfOne(Backend backend)
    {
        using AesSiv siv = Siv(A1Key, backend);
        byte[] v = new byte[16];

        siv.S2V([], v);

        byte[] one = new byte[16];
        one[15] = 1;
        Assert.Equal(Bytes(siv.ComputeCmac(one)), v);
    }

    /// <summary>RFC 4493 section 4 (AES-128 CMAC); K1 of an AES-SIV-CMAC-256 key is the CMAC key.</summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public void Cmac_MatchesRfc4493Examples(Backend backend)
    {
        using AesSiv siv = Siv("2b7e151628aed2a6abf7158809cf4f3c" + new string('0', 32), backend);
        byte[] message = Hex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");

        Assert.Equal("bb1d6929e95937287fa37d129b756746", ToHex(Bytes(siv.ComputeCmac([]))));
        Assert.Equal("070a16b46b4d4144f79bdd9dd04a287c", ToHex(Bytes(siv.ComputeCmac(message.AsSpan(0, 16)))));
        Assert.Equal("dfa66747de9ae63030ca32611497c827", ToHex(Bytes(siv.ComputeCmac(message.AsSpan(0, 40)))));
        Assert.Equal("51f0bebf7e3b9d92fc49741779363cfe", ToHex(Bytes(siv.ComputeCmac(message))));
    }

    private static byte[] Bytes(Vector128<byte> v)
    {
        byte[] bytes = new byte[16];
        v.CopyTo(bytes);
        return bytes;
    }
}
