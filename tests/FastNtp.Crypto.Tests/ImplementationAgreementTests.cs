using System.Runtime.Intrinsics;
using FastNtp.Crypto.Internal;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>Exhaustive small-length agreement of the hardware and portable paths (every partial-block shape).</summary>
public sealed class ImplementationAgreementTests
{
    public static TheoryData<AeadAlgorithm> AlgorithmData() => [.. Algorithms];

    [Theory]
    [MemberData(nameof(AlgorithmData))]
    public void HardwareAndPortable_AgreeOnEveryLengthUpTo260(AeadAlgorithm algorithm)
    {
        var rng = new Random((int)algorithm * 31);
        byte[] key = TestSupport.Random(rng, Aead.KeyLength(algorithm));
        using Aead hardware = Create(algorithm, key, Backend.Hardware);
        using Aead portable = Create(algorithm, key, Backend.Portable);
        byte[] nonce = TestSupport.Random(rng, hardware.NonceLength);
        byte[] data = TestSupport.Random(rng, 300);
        byte[] a = new byte[Aead.SealedLength(260)];
        byte[] b = new byte[a.Length];
        byte[] opened = new byte[260];
        for (int adLength = 0; adLength <= 33; adLength++)
        {
            for (int length = 0; length <= 260; length++)
            {
                // AD and plaintext sit at the end of the array: every partial-block shape ends exactly at the array end.
                ReadOnlySpan<byte> ad = data.AsSpan(data.Length - adLength);
                ReadOnlySpan<byte> plaintext = data.AsSpan(data.Length - length);
                int sealedLength = Aead.SealedLength(length);
                hardware.Seal(nonce, ad, plaintext, a);
                portable.Seal(nonce, ad, plaintext, b);
                Assert.True(a.AsSpan(0, sealedLength).SequenceEqual(b.AsSpan(0, sealedLength)), $"AD {adLength} B, plaintext {length} B");
                Assert.True(portable.Open(nonce, ad, a.AsSpan(0, sealedLength), opened));
                Assert.True(hardware.Open(nonce, ad, b.AsSpan(0, sealedLength), opened));
                Assert.True(opened.AsSpan(0, length).SequenceEqual(plaintext));
            }
        }
    }

    [Fact]
    public void PartialBlockLoads_MatchACopy()
    {
        byte[] data = Enumerable.Range(1, 40).Select(i => (byte)(i * 37)).ToArray();
        for (int start = 0; start < 24; start++)
        {
            for (int n = 0; n < 16 && start + n <= data.Length; n++)
            {
                byte[] expected = new byte[16];
                data.AsSpan(start, n).CopyTo(expected);
                Assert.Equal(Vector128.Create(expected), Block.LoadPartial(data.AsSpan(start, n)));
                expected[n] = 0x80;
                Assert.Equal(Vector128.Create(expected), Block.LoadPadded(data.AsSpan(start, n)));
            }
        }
    }
}
