using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using FastNtp.Crypto.Internal;

namespace FastNtp.Crypto.Tests;

/// <summary>
/// Counter handling against a block-by-block reference on the framework's AES: SIV's big-endian
/// counter (carries across bytes) and GCM-SIV's 32-bit little-endian counter (wraps without carry).
/// </summary>
public sealed class CounterModeTests
{
    public static TheoryData<uint, int> GcmSivCounters() => new()
    {
        { 0xFFFFFFFDu, 300 },   // wraps to 0 after three blocks, inside the 8-block loop
        { 0xFFFFFFFFu, 17 },    // wraps on the second (partial) block
        { 0xFFFFFFF0u, 1000 },
        { 0x7FFFFFFEu, 70 },
    };

    public static TheoryData<uint, int> SivCounters() => new()
    {
        { 0x000000FEu, 300 },   // carries from byte 15 into byte 14
        { 0x0000FFF0u, 1000 },  // carries two bytes deep
        { 0x7FFFFFF0u, 400 },   // the largest value after clearing bit 31; no carry out of the word
    };

    [Theory]
    [MemberData(nameof(GcmSivCounters))]
    public void GcmSivCounter_WrapsModulo2To32(uint start, int length)
    {
        byte[] key = new byte[16];
        new Random(1).NextBytes(key);
        byte[] counter = new byte[16];
        new Random(2).NextBytes(counter);
        BinaryPrimitives.WriteUInt32LittleEndian(counter, start);
        byte[] source = new byte[length];
        new Random(3).NextBytes(source);

        byte[] expected = Reference(key, counter, source, (block, i) =>
            BinaryPrimitives.WriteUInt32LittleEndian(block, unchecked(start + (uint)i)));

        Assert.Equal(expected, Run<GcmSivCounter>(key, counter, source, hardware: true));
        Assert.Equal(expected, Run<GcmSivCounter>(key, counter, source, hardware: false));
    }

    [Theory]
    [MemberData(nameof(SivCounters))]
    public void SivCounter_IsA128BitBigEndianIncrement(uint lastWord, int length)
    {
        byte[] key = new byte[32];
        new Random(4).NextBytes(key);
        byte[] counter = new byte[16];
        new Random(5).NextBytes(counter);
        counter[8] &= 0x7F;
        BinaryPrimitives.WriteUInt32BigEndian(counter.AsSpan(12), lastWord);
        byte[] source = new byte[length];
        new Random(6).NextBytes(source);
        UInt128 start = BinaryPrimitives.ReadUInt128BigEndian(counter);

        byte[] expected = Reference(key, counter, source, (block, i) =>
            BinaryPrimitives.WriteUInt128BigEndian(block, start + (uint)i));

        Assert.Equal(expected, Run<SivCounter>(key, counter, source, hardware: true));
        Assert.Equal(expected, Run<SivCounter>(key, counter, source, hardware: false));
    }

    private static byte[] Run<TCounter>(byte[] key, byte[] counter, byte[] source, bool hardware)
        where TCounter : struct, ICounterBlock
    {
        byte[] output = new byte[source.Length];
        if (hardware)
        {
            AesRoundKeys keys = default;
            int rounds = AesHardware.ExpandKey(key, ref keys);
            new HardwareAesCipher(ref keys, rounds).Ctr<TCounter>(Vector128.Create(counter), source, output);
        }
        else
        {
            using var aes = new PortableAes(key);
            new PortableAesCipher(aes).Ctr<TCounter>(Vector128.Create(counter), source, output);
        }

        return output;
    }

    private static byte[] Reference(byte[] key, byte[] counter, byte[] source, Action<byte[], int> setCounter)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] output = new byte[source.Length];
        byte[] block = (byte[])counter.Clone();
        for (int i = 0; 16 * i < source.Length; i++)
        {
            setCounter(block, i);
            byte[] keyStream = aes.EncryptEcb(block, PaddingMode.None);
            for (int j = 16 * i; j < Math.Min(source.Length, 16 * i + 16); j++)
            {
                output[j] = (byte)(source[j] ^ keyStream[j - 16 * i]);
            }
        }

        return output;
    }
}
