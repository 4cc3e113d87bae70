using BenchmarkDotNet.Attributes;
using FastNtp.Crypto;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;

namespace FastNtp.Benchmarks.Nts;

/// <summary>
/// One NTS request through the responder (cookie open, authenticate, new cookies, seal) against one plain request:
/// the same client session every time (its AEADs stay cached), and a different session every time (every request
/// misses the worker's session cache and re-keys two pooled AEAD objects).
/// </summary>
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
    private byte[][] _newSessionRequests = null!;
    private int _next;
    private int _nextCached;

    /// <summary>Distinct sessions cycled through: 16 times the cache's 1024 entries per algorithm, so LRU never keeps one.</summary>
    private const int Sessions = 16384;

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
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int cookieLength = codec.Seal(Algorithm, c2s, s2c, cookie);
        using var c2sAead = Aead.Create(Algorithm, c2s);
        byte[] packet = new byte[2048];
        int length = NtsClientPacket.Write(packet, NtpTimestamp.FromParts(3_900_000_000, 5), new byte[32], cookie.AsSpan(0, cookieLength),
            Placeholders, c2sAead, new byte[c2sAead.NonceLength]);
        _ntsRequest = packet[..length];
        _plainRequest = new byte[48];
        _plainRequest[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client);

        _newSessionRequests = new byte[Sessions][];
        var s2cAeads = new Aead[Sessions];
        for (int i = 0; i < Sessions; i++)
        {
            // Random keys, except that C2S's first octets (the cache's set index) spread the sessions over every set.
            byte[] c = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
            byte[] s = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(c, i);
            cookieLength = codec.Seal(Algorithm, c, s, cookie);
            using var sessionC2s = Aead.Create(Algorithm, c);
            s2cAeads[i] = Aead.Create(Algorithm, s);
            length = NtsClientPacket.Write(packet, NtpTimestamp.FromParts(3_900_000_000, 5), new byte[32], cookie.AsSpan(0, cookieLength),
                Placeholders, sessionC2s, System.Security.Cryptography.RandomNumberGenerator.GetBytes(sessionC2s.NonceLength));
            _newSessionRequests[i] = packet[..length];
        }

        // Every reply must be authentic under its own session's S2C key, and every request a cache miss.
        int misses = 0;
        var cookies = new List<byte[]>();
        for (int i = 0; i < Sessions; i++)
        {
            ResponderResult result = HandleNewSession();
            if ((result.Nts & NtsOutcome.SessionKeysLoaded) != 0) misses++;
            int replyLength = result.Length;
            cookies.Clear();
            NtsReplyStatus status = NtsClientPacket.Verify(
                _response.AsSpan(0, replyLength), NtpTimestamp.FromParts(3_900_000_000, 5), new byte[32], s2cAeads[i], cookies);
            if (status != NtsReplyStatus.Ok || cookies.Count != 1 + Placeholders)
                throw new InvalidOperationException($"Session {i}: {status}, {cookies.Count} cookies.");
            s2cAeads[i].Dispose();
        }

        if (misses != Sessions) throw new InvalidOperationException($"Expected {Sessions} cache misses, saw {misses}.");
    }

    [Benchmark]
    public int Nts()
    {
        var clock = new FixedClock();
        return _nts.Handle(_ntsRequest, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock).Length;
    }

    /// <summary>A request from a session the worker has not seen recently: the cache-miss path.</summary>
    [Benchmark]
    public int NtsNewSession() => HandleNewSession().Length;

    private ResponderResult HandleNewSession()
    {
        var clock = new FixedClock();
        byte[] request = _newSessionRequests[_next];
        _next = (_next + 1) & (Sessions - 1);
        return _nts.Handle(request, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock);
    }

    /// <summary>
    /// 32 sessions in turn, all of which stay cached (two per four-way set): separates the cost of a re-key from
    /// the cost of a different request, cookie and AEAD object on every call.
    /// </summary>
    [Benchmark]
    public int NtsCachedSessions()
    {
        var clock = new FixedClock();
        byte[] request = _newSessionRequests[_nextCached];
        _nextCached = (_nextCached + 1) & 31;
        return _nts.Handle(request, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock).Length;
    }

    [Benchmark(Baseline = true)]
    public int Plain()
    {
        var clock = new FixedClock();
        return _plain.Handle(_plainRequest, new RequestInfo(clock.Now(), 40000), _snapshot, _response, ref clock).Length;
    }
}
