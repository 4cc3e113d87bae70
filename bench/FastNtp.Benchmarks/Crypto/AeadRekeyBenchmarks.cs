using BenchmarkDotNet.Attributes;
using FastNtp.Crypto;

namespace FastNtp.Benchmarks.Crypto;

/// <summary>
/// Setting up a new session key: a new key object (what the NTS session cache did on every miss before) against
/// <see cref="Aead.SetKey"/> on an existing one (what it does now). Keys rotate through a small set so no call
/// sees the key it already holds.
/// </summary>
[MemoryDiagnoser]
public class AeadRekeyBenchmarks : IDisposable
{
    private const int KeyCount = 8;

    private byte[] _keys = [];
    private Aead? _aead;
    private int _next;

    [Params(AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.Aes128GcmSiv)]
    public AeadAlgorithm Algorithm { get; set; }

    private int KeyLength => Aead.KeyLength(Algorithm);

    [GlobalSetup]
    public void Setup()
    {
        if (!Aead.IsHardwareAccelerated)
        {
            throw new InvalidOperationException("These figures are for the hardware path; this CPU fell back to the portable one.");
        }

        _keys = new byte[KeyCount * KeyLength];
        new Random(5).NextBytes(_keys);
        _aead?.Dispose();
        _aead = Aead.Create(Algorithm, NextKey());

        // A re-keyed object seals exactly as a new one with the same key.
        ReadOnlySpan<byte> key = NextKey();
        _aead.SetKey(key);
        using var fresh = Aead.Create(Algorithm, key);
        byte[] nonce = new byte[fresh.NonceLength];
        byte[] a = new byte[Aead.SealedLength(70)], b = new byte[a.Length];
        _aead.Seal(nonce, [1, 2, 3, 4], new byte[70], a);
        fresh.Seal(nonce, [1, 2, 3, 4], new byte[70], b);
        if (!a.AsSpan().SequenceEqual(b))
        {
            throw new InvalidOperationException("Benchmark set-up check failed: SetKey does not match a fresh key object.");
        }
    }

    /// <summary>A new key object, disposed (keys zeroed) as the old cache did on eviction.</summary>
    [Benchmark(Baseline = true)]
    public AeadAlgorithm CreateAndDispose()
    {
        using var aead = Aead.Create(Algorithm, NextKey());
        return aead.Algorithm;
    }

    [Benchmark]
    public AeadAlgorithm SetKey()
    {
        Aead aead = _aead!;
        aead.SetKey(NextKey());
        return aead.Algorithm;
    }

    public void Dispose()
    {
        _aead?.Dispose();
        GC.SuppressFinalize(this);
    }

    private ReadOnlySpan<byte> NextKey()
    {
        int i = _next;
        _next = (i + 1) & (KeyCount - 1);
        return _keys.AsSpan(i * KeyLength, KeyLength);
    }
}
