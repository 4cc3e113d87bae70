using BenchmarkDotNet.Attributes;
using FastNtp.Crypto;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;

namespace FastNtp.Benchmarks.Nts;

/// <summary>One NTS request through the responder (cookie open, authenticate, new cookies, seal) against one plain request.</summary>
[MemoryDiagnoser]
public class NtsResponderBenchmarks
{
    private struct FixedClock : IClock
    {
        public readonly NtpTimestamp Now() => NtpTimestamp.FromParts(3_900_000_000, 1);
    }

    private readonly byte[] _response = new byte[1024];
    private readonly ServerSnapshot _snapshot = ServerSnapshot.LocalClock(1, -20, NtpTimestamp.FromParts(3_900_000_000, 0));
    private Responder _nts = null!;
    private Responder _plain = null!;
    private byte[] _ntsRequest = null!;
    private byte[] _plainRequest = null!;

    [Params(AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv)]
    public AeadAlgorithm Algorithm { get; set; }

    /// <summary>Cookie placeholders in the request: 0 is a client's steady state, 7 a client that lost its cookies.</summary>
    [Params(0, 7)]
    public int Placeholders { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var store = new CookieKeyStore(CookieKeySet.Derive(new byte[32], 20000, 7));
        _nts = new Responder(new NtsResponder(store));
        _plain = new Responder();
        int n = Aead.KeyLength(Algorithm);
        byte[] c2s = new byte[n], s2c = new byte[n];
        c2s[0] = 1;
        s2c[0] = 2;
        using var codec = new NtsCookieCodec(store, new RandomPool());
        var cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int cookieLength = codec.Seal(Algorithm, c2s, s2c, cookie);
        using Aead c2sAead = Aead.Create(Algorithm, c2s);
        var packet = new byte[2048];
        int length = NtsClientPacket.Write(packet, NtpTimestamp.FromParts(3_900_000_000, 5), new byte[32], cookie.AsSpan(0, cookieLength),
            Placeholders, c2sAead, new byte[c2sAead.NonceLength]);
        _ntsRequest = packet[..length];
        _plainRequest = new byte[48];
        _plainRequest[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client);
    }

    [Benchmark]
    public int Nts()
    {
        var clock = new FixedClock();
        return _nts.Handle(_ntsRequest, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock).Length;
    }

    [Benchmark(Baseline = true)]
    public int Plain()
    {
        var clock = new FixedClock();
        return _plain.Handle(_plainRequest, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock).Length;
    }
}
