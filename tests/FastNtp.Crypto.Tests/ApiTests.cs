using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastNtp.Crypto.Internal;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

public sealed class ApiTests
{
    public static TheoryData<AeadAlgorithm, Backend> Every => AlgorithmsAndBackends();

    [Fact]
    public void Aead_ReportsKeyLengthsNonceLengthsAndIdentifiers()
    {
        Assert.Equal(32, Aead.KeyLength(AeadAlgorithm.AesSivCmac256));
        Assert.Equal(48, Aead.KeyLength(AeadAlgorithm.AesSivCmac384));
        Assert.Equal(64, Aead.KeyLength(AeadAlgorithm.AesSivCmac512));
        Assert.Equal(16, Aead.KeyLength(AeadAlgorithm.Aes128GcmSiv));
        Assert.Equal(116, Aead.SealedLength(100));
        foreach (ushort id in (ushort[])[15, 16, 17, 30])
        {
            Assert.True(Aead.IsSupported(id));
            using var aead = Aead.Create((AeadAlgorithm)id, new byte[Aead.KeyLength((AeadAlgorithm)id)]);
            Assert.Equal((AeadAlgorithm)id, aead.Algorithm);
            Assert.Equal(id == 30 ? 12 : 16, aead.NonceLength);
        }

        foreach (ushort id in (ushort[])[0, 1, 14, 18, 29, 31, 0xFFFF])
        {
            Assert.False(Aead.IsSupported(id));
        }
    }

    [Fact]
    public void Create_UsesTheHardwarePathHere()
    {
        using var siv = Aead.Create(AeadAlgorithm.AesSivCmac256, new byte[32]);
        using var gcmSiv = Aead.Create(AeadAlgorithm.Aes128GcmSiv, new byte[16]);
        Assert.False(((AesSiv)siv).IsPortable);
        Assert.False(((AesGcmSiv)gcmSiv).IsPortable);
        using var explicitPortable = new AesSiv(AeadAlgorithm.AesSivCmac256, new byte[32], AesImplementation.Portable);
        Assert.True(explicitPortable.IsPortable);
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void SealAndOpen_AllocateNothing(AeadAlgorithm algorithm, Backend backend)
    {
        using Aead aead = ZeroKey(algorithm, backend);
        byte[] nonce = new byte[aead.NonceLength];
        byte[] ad = new byte[200];
        byte[] plaintext = new byte[300];
        byte[] sealedData = new byte[Aead.SealedLength(plaintext.Length)];
        byte[] opened = new byte[plaintext.Length];
        long allocated = AllocatedBy(_ =>
        {
            aead.Seal(nonce, ad, plaintext, sealedData);
            Assert.True(aead.Open(nonce, ad, sealedData, opened));
            aead.Seal(nonce, ad.AsSpan(0, 7), plaintext.AsSpan(0, 70), sealedData);
        }, warmUps: 3, rounds: 100);
        if (backend == Backend.Portable && algorithm == AeadAlgorithm.Aes128GcmSiv)
        {
            // Documented: the portable GCM-SIV path re-keys the framework's AES per message.
            Assert.True(allocated > 0);
        }
        else
        {
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void S2VBuilder_AllocatesNothing()
    {
        using var siv = new AesSiv(new byte[32]);
        byte[] v = new byte[16];
        byte[] component = new byte[50];
        Assert.Equal(0, AllocatedBy(_ =>
        {
            S2VBuilder builder = siv.CreateS2V();
            builder.Add(component);
            builder.Add(component.AsSpan(0, 3));
            builder.Finish(component, v);
        }, warmUps: 1, rounds: 1));
    }

    [Fact]
    public void Dispose_ZeroesTheKeySchedule()
    {
        var siv = new AesSiv(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var gcmSiv = new AesGcmSiv(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());
        siv.Dispose();
        gcmSiv.Dispose();

        Assert.True(KeyFieldsAreZero(siv));
        Assert.True(KeyFieldsAreZero(gcmSiv));
    }

    /// <summary>Every Vector128 and AesRoundKeys field of the object must be all zero.</summary>
    private static bool KeyFieldsAreZero(object aead)
    {
        foreach (System.Reflection.FieldInfo field in aead.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic))
        {
            object? value = field.GetValue(aead);
            if (value is Vector128<byte> v && v != Vector128<byte>.Zero)
            {
                return false;
            }

            if (value is AesRoundKeys keys)
            {
                Span<Vector128<byte>> span = keys;
                if (MemoryMarshal.AsBytes(span).IndexOfAnyExcept((byte)0) >= 0)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
