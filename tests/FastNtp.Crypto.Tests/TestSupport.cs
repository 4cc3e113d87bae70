using FastNtp.Crypto.Internal;

namespace FastNtp.Crypto.Tests;

/// <summary>The implementation under test, as a public type xunit theories can take.</summary>
public enum Backend
{
    Hardware,
    Portable,
}

internal static class TestSupport
{
    public static readonly AeadAlgorithm[] Algorithms =
        [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.Aes128GcmSiv];

    public static readonly Backend[] Backends = [Backend.Hardware, Backend.Portable];

    public static AesImplementation ToImplementation(this Backend backend) =>
        backend == Backend.Hardware ? AesImplementation.Hardware : AesImplementation.Portable;

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Random(Random rng, int length)
    {
        byte[] bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// Bytes this thread allocates over <paramref name="rounds"/> calls of <paramref name="round"/> (given the call's
    /// index), after <paramref name="warmUps"/> unmeasured ones for tiering and lazy statics.
    /// </summary>
    public static long AllocatedBy(Action<int> round, int warmUps, int rounds)
    {
        for (int i = 0; i < warmUps; i++) round(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < rounds; i++) round(i);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static Aead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, Backend backend) =>
        Aead.Create(algorithm, key, backend.ToImplementation());

    /// <summary>An AEAD of <paramref name="algorithm"/> under the all-zero key.</summary>
    public static Aead ZeroKey(AeadAlgorithm algorithm, Backend backend) => Create(algorithm, new byte[Aead.KeyLength(algorithm)], backend);

    /// <summary>Seals <paramref name="plaintextLength"/> zero octets, with no associated data, under the all-zero nonce.</summary>
    public static byte[] SealZeros(Aead aead, int plaintextLength)
    {
        byte[] sealedData = new byte[Aead.SealedLength(plaintextLength)];
        aead.Seal(new byte[aead.NonceLength], [], new byte[plaintextLength], sealedData);
        return sealedData;
    }

    public static AesSiv Siv(string keyHex, Backend backend)
    {
        byte[] key = Hex(keyHex);
        AeadAlgorithm algorithm = key.Length switch
        {
            32 => AeadAlgorithm.AesSivCmac256,
            48 => AeadAlgorithm.AesSivCmac384,
            _ => AeadAlgorithm.AesSivCmac512,
        };
        return new AesSiv(algorithm, key, backend.ToImplementation());
    }

    /// <summary>Every (algorithm, implementation) pair, for theories.</summary>
    public static TheoryData<AeadAlgorithm, Backend> AlgorithmsAndBackends()
    {
        var data = new TheoryData<AeadAlgorithm, Backend>();
        foreach (AeadAlgorithm algorithm in Algorithms)
        {
            foreach (Backend backend in Backends)
            {
                data.Add(algorithm, backend);
            }
        }

        return data;
    }

    public static TheoryData<Backend> BackendData() => [.. Backends];
}
