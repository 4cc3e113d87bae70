using BenchmarkDotNet.Attributes;
using FastNtp.Crypto;

namespace FastNtp.Benchmarks.Crypto;

/// <summary>Inputs shared by the AEAD benchmarks: fixed pseudo-random bytes, one key per algorithm.</summary>
public abstract class AeadBenchmarkBase : IDisposable
{
    private Aead? _siv;
    private Aead? _gcmSiv;
    private OpenSslAesSiv? _openSsl;

    protected byte[] Key { get; } = Bytes(32, 1);

    protected byte[] Nonce { get; } = Bytes(16, 2);

    protected byte[] GcmNonce { get; } = Bytes(12, 3);

    protected Aead Siv => _siv ?? throw new InvalidOperationException("GlobalSetup has not run.");

    protected Aead GcmSiv => _gcmSiv ?? throw new InvalidOperationException("GlobalSetup has not run.");

    private protected OpenSslAesSiv OpenSsl => _openSsl ?? throw new InvalidOperationException("GlobalSetup has not run.");

    public void Dispose()
    {
        _siv?.Dispose();
        _gcmSiv?.Dispose();
        _openSsl?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static byte[] Bytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected void CreateKeys()
    {
        if (!Aead.IsHardwareAccelerated)
        {
            throw new InvalidOperationException("These figures are for the hardware path; this CPU fell back to the portable one.");
        }

        _siv = Aead.Create(AeadAlgorithm.AesSivCmac256, Key);
        _gcmSiv = Aead.Create(AeadAlgorithm.Aes128GcmSiv, Key.AsSpan(0, 16));
        _openSsl = new OpenSslAesSiv(Key);
    }

    protected static void Verify(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark set-up check failed: {what}.");
        }
    }
}

/// <summary>
/// Seal and open of one (associated data, plaintext) shape with AEAD_AES_SIV_CMAC_256, OpenSSL's AES-SIV on
/// identical inputs (checked equal in set-up), and AEAD_AES_128_GCM_SIV (OpenSSL 3.0 has none).
/// </summary>
public abstract class AeadSealOpenBenchmarks(int adLength, int adSeed, int plaintextLength, int plaintextSeed) : AeadBenchmarkBase
{
    private readonly byte[] _ad = Bytes(adLength, adSeed);
    private readonly byte[] _plaintext = Bytes(plaintextLength, plaintextSeed);
    private readonly byte[] _sealed = new byte[plaintextLength + Aead.TagLength];
    private readonly byte[] _scratch = new byte[plaintextLength + Aead.TagLength];
    private readonly byte[] _opened = new byte[plaintextLength];
    private readonly byte[] _gcmSealed = new byte[plaintextLength + Aead.TagLength];

    protected byte[] AssociatedData => _ad;

    protected byte[] Plaintext => _plaintext;

    protected byte[] Sealed => _sealed;

    protected byte[] Scratch => _scratch;

    [GlobalSetup]
    public void Setup()
    {
        CreateKeys();
        Siv.Seal(Nonce, _ad, _plaintext, _sealed);
        OpenSsl.Seal(_ad, Nonce, _plaintext, _scratch);
        Verify(_scratch.AsSpan().SequenceEqual(_sealed), "OpenSSL's AES-SIV output equals FastNtp's");
        Verify(OpenSsl.Open(_ad, Nonce, _sealed, _opened) && _opened.AsSpan().SequenceEqual(_plaintext), "OpenSSL opens FastNtp's output");
        GcmSiv.Seal(GcmNonce, _ad, _plaintext, _gcmSealed);
        CheckSetup();
    }

    /// <summary>Further set-up checks of a derived benchmark.</summary>
    protected virtual void CheckSetup()
    {
    }

    [Benchmark(Baseline = true, Description = "FastNtp AES-SIV-256 seal")]
    public byte SivSeal()
    {
        Siv.Seal(Nonce, _ad, _plaintext, _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "FastNtp AES-SIV-256 open")]
    public bool SivOpen() => Siv.Open(Nonce, _ad, _sealed, _opened);

    [Benchmark(Description = "OpenSSL AES-SIV-256 seal")]
    public byte OpenSslSeal()
    {
        OpenSsl.Seal(_ad, Nonce, _plaintext, _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "OpenSSL AES-SIV-256 open")]
    public bool OpenSslOpen() => OpenSsl.Open(_ad, Nonce, _sealed, _opened);

    [Benchmark(Description = "FastNtp AES-128-GCM-SIV seal")]
    public byte GcmSivSeal()
    {
        GcmSiv.Seal(GcmNonce, _ad, _plaintext, _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "FastNtp AES-128-GCM-SIV open")]
    public bool GcmSivOpen() => GcmSiv.Open(GcmNonce, _ad, _gcmSealed, _opened);
}

/// <summary>
/// An NTS cookie (RFC 8915 section 6): ~70 bytes of plaintext (AEAD id + C2S and S2C keys), a
/// 16-byte nonce, a 4-byte key id as associated data; also OpenSSL re-keying for every message.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class AeadCookieBenchmarks() : AeadSealOpenBenchmarks(adLength: 4, adSeed: 4, plaintextLength: 70, plaintextSeed: 5)
{
    protected override void CheckSetup()
    {
        OpenSsl.SealRekeying(AssociatedData, Nonce, Plaintext, Scratch);
        Verify(Scratch.AsSpan().SequenceEqual(Sealed), "OpenSSL's re-keyed AES-SIV output equals FastNtp's");
    }

    [Benchmark(Description = "OpenSSL AES-SIV-256 seal (re-key per message)")]
    public byte OpenSslSealRekeying()
    {
        OpenSsl.SealRekeying(AssociatedData, Nonce, Plaintext, Scratch);
        return Scratch[0];
    }
}

/// <summary>
/// An NTS request authenticator (RFC 8915 section 5.6): ~200 bytes of associated data (NTP header and
/// extension fields), a 16-byte nonce, empty plaintext. OpenSSL 3.0's EVP AES-SIV cannot take an empty
/// plaintext, so its figure is S2V over OpenSSL's AES-CMAC the way its siv128.c computes it.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class AeadAuthenticatorBenchmarks : AeadBenchmarkBase
{
    private readonly byte[] _ad = Bytes(200, 6);
    private readonly byte[] _sealed = new byte[16];
    private readonly byte[] _scratch = new byte[16];
    private readonly byte[] _gcmSealed = new byte[16];
    private OpenSslCmacS2V? _openSslS2V;

    private OpenSslCmacS2V OpenSslS2V => _openSslS2V ?? throw new InvalidOperationException("GlobalSetup has not run.");

    [GlobalSetup]
    public void Setup()
    {
        CreateKeys();
        _openSslS2V = new OpenSslCmacS2V(Key);
        Siv.Seal(Nonce, _ad, [], _sealed);
        OpenSslS2V.Seal(_ad, Nonce, _scratch);
        Verify(_scratch.AsSpan().SequenceEqual(_sealed), "OpenSSL's CMAC S2V equals FastNtp's AES-SIV output");
        Verify(OpenSslS2V.Open(_ad, Nonce, _sealed), "OpenSSL's CMAC S2V verifies FastNtp's output");
        GcmSiv.Seal(GcmNonce, _ad, [], _gcmSealed);
    }

    [GlobalCleanup]
    public void Cleanup() => _openSslS2V?.Dispose();

    [Benchmark(Baseline = true, Description = "FastNtp AES-SIV-256 seal")]
    public byte SivSeal()
    {
        Siv.Seal(Nonce, _ad, [], _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "FastNtp AES-SIV-256 open")]
    public bool SivOpen() => Siv.Open(Nonce, _ad, _sealed, []);

    [Benchmark(Description = "OpenSSL CMAC S2V (AES-SIV-256) seal")]
    public byte OpenSslSeal()
    {
        OpenSslS2V.Seal(_ad, Nonce, _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "OpenSSL CMAC S2V (AES-SIV-256) open")]
    public bool OpenSslOpen() => OpenSslS2V.Open(_ad, Nonce, _sealed);

    [Benchmark(Description = "FastNtp AES-128-GCM-SIV seal")]
    public byte GcmSivSeal()
    {
        GcmSiv.Seal(GcmNonce, _ad, [], _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "FastNtp AES-128-GCM-SIV open")]
    public bool GcmSivOpen() => GcmSiv.Open(GcmNonce, _ad, _gcmSealed, []);
}

/// <summary>4096-byte plaintext, 16-byte AD: throughput, reported as cycles per byte in bench/RESULTS.md.</summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class AeadLongInputBenchmarks() : AeadSealOpenBenchmarks(adLength: 16, adSeed: 7, plaintextLength: Length, plaintextSeed: 8)
{
    public const int Length = 4096;
}
