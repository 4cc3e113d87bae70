using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using FastNtp.Crypto.Internal;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>The hardware block cipher and key schedule against FIPS 197 and the framework's AES.</summary>
public sealed class AesBlockTests
{
    [Fact]
    public void Hardware_IsAvailableAndSelectedOnThisMachine()
    {
        // The CI and benchmark machines have AES-NI and PCLMULQDQ; the start-up self-test must pass there.
        Assert.True(AesHardware.IsSupported);
        Assert.True(Aead.IsHardwareAccelerated);
    }

    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData("000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "8ea2b7ca516745bfeafc49904b496089")]
    public void HardwareCipher_MatchesFips197AppendixC(string key, string ciphertext)
    {
        AesRoundKeys keys = default;
        int rounds = AesHardware.ExpandKey(Hex(key), ref keys);
        var cipher = new HardwareAesCipher(ref keys, rounds);

        Vector128<byte> output = cipher.Encrypt(Vector128.Create(Hex("00112233445566778899aabbccddeeff")));

        Assert.Equal(ciphertext, ToHex(ToArray(output)));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void RandomKeysAtEveryBlockWidth_MatchFrameworkAes(int keyLength)
    {
        var rng = new Random(keyLength);
        for (int trial = 0; trial < 50; trial++)
        {
            byte[] key = TestSupport.Random(rng, keyLength);
            byte[] blocks = TestSupport.Random(rng, 128);
            using var framework = Aes.Create();
            framework.Key = key;
            byte[] expected = framework.EncryptEcb(blocks, PaddingMode.None);

            AesRoundKeys keys = default;
            int rounds = AesHardware.ExpandKey(key, ref keys);
            var cipher = new HardwareAesCipher(ref keys, rounds);
            Vector128<byte> one = cipher.Encrypt(Vector128.Create(blocks, 0));
            Vector128<byte> a = Vector128.Create(blocks, 0), b = Vector128.Create(blocks, 16);
            cipher.Encrypt2(ref a, ref b);
            Vector128<byte> c0 = Vector128.Create(blocks, 0), c1 = Vector128.Create(blocks, 16), c2 = Vector128.Create(blocks, 32), c3 = Vector128.Create(blocks, 48);
            cipher.Encrypt4(ref c0, ref c1, ref c2, ref c3);
            Blocks8 eight = default;
            Span<Vector128<byte>> eightSpan = eight;
            for (int i = 0; i < 8; i++)
            {
                eightSpan[i] = Vector128.Create(blocks, 16 * i);
            }

            AesHardware.Encrypt8(ref keys[0], rounds, ref eight);

            Assert.Equal(expected[..16], ToArray(one));
            Assert.Equal(expected[..32], (byte[])[.. ToArray(a), .. ToArray(b)]);
            Assert.Equal(expected[..64], (byte[])[.. ToArray(c0), .. ToArray(c1), .. ToArray(c2), .. ToArray(c3)]);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(expected[(16 * i)..(16 * i + 16)], ToArray(eightSpan[i]));
            }

            // The portable cipher is the framework's, through the same interface.
            using var portable = new PortableAes(key);
            Assert.Equal(expected[..16], ToArray(new PortableAesCipher(portable).Encrypt(Vector128.Create(blocks, 0))));
        }
    }

    [Fact]
    public void FastAes128KeySchedule_MatchesTheGenericOne()
    {
        var rng = new Random(128);
        for (int trial = 0; trial < 100; trial++)
        {
            byte[] key = TestSupport.Random(rng, 16);
            AesRoundKeys fast = default, generic = default, fromRegister = default;
            AesHardware.ExpandKey(key, ref fast);
            AesHardware.ExpandGeneric(key, ref generic);
            AesHardware.Expand128(Vector128.Create(key), ref fromRegister);
            Span<Vector128<byte>> f = fast, g = generic, r = fromRegister;
            Assert.True(f[..11].SequenceEqual(g[..11]));
            Assert.True(f[..11].SequenceEqual(r[..11]));
        }
    }

    [Fact]
    public void KeyExpansion_MatchesFips197AppendixA1()
    {
        // Last round key of the FIPS 197 A.1 AES-128 example (w[40..43]).
        AesRoundKeys keys = default;
        AesHardware.ExpandGeneric(Hex("2b7e151628aed2a6abf7158809cf4f3c"), ref keys);
        Span<Vector128<byte>> k = keys;
        Assert.Equal("d014f9a8c9ee2589e13f0cc8b6630ca6", ToHex(ToArray(k[10])));
    }

    [Fact]
    public void Doubling_MatchesAReferenceShift()
    {
        var rng = new Random(5297);
        for (int trial = 0; trial < 1000; trial++)
        {
            byte[] s = TestSupport.Random(rng, 16);
            if (trial < 2)
            {
                s[0] = trial == 0 ? (byte)0x80 : (byte)0x7F;
            }

            UInt128 value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(s);
            UInt128 expected = (value << 1) ^ ((value >> 127) == 1 ? 0x87u : 0u);
            byte[] expectedBytes = new byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(expectedBytes, expected);

            Assert.Equal(expectedBytes, ToArray(Block.Dbl(Vector128.Create(s))));
        }
    }

    private static byte[] ToArray(Vector128<byte> v)
    {
        byte[] bytes = new byte[16];
        v.CopyTo(bytes);
        return bytes;
    }
}
