using System.Security.Cryptography;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>Many client sessions through one worker's responder: more sessions than its AEAD cache holds.</summary>
public sealed class NtsResponderSessionTests : IDisposable
{
    private static readonly AeadAlgorithm[] Algorithms =
        [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512];

    private readonly InProcessNtsServer _server = new(CookieKeySet.Derive(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray(), 500, 2));
    private readonly NtsCookieCodec _issuer;
    private readonly List<Session> _sessions = [];

    public NtsResponderSessionTests()
    {
        _issuer = new NtsCookieCodec(_server.Store, new RandomPool());
    }

    public void Dispose()
    {
        foreach (Session s in _sessions) s.Dispose();
        _issuer.Dispose();
        _server.Dispose();
    }

    /// <summary>One client: its keys (as the client holds them), unique identifier and current cookie.</summary>
    private sealed class Session(AeadAlgorithm algorithm, byte[] c2s, byte[] s2c) : IDisposable
    {
        public AeadAlgorithm Algorithm { get; } = algorithm;
        public byte[] C2S { get; } = c2s;
        public byte[] S2C { get; } = s2c;
        public Aead C2SAead { get; } = Aead.Create(algorithm, c2s);
        public Aead S2CAead { get; } = Aead.Create(algorithm, s2c);
        public byte[] Uid { get; } = RandomNumberGenerator.GetBytes(32);
        public byte[] Cookie { get; set; } = [];

        public void Dispose()
        {
            C2SAead.Dispose();
            S2CAead.Dispose();
        }
    }

    /// <summary>
    /// A session with random keys, except that C2S starts with <paramref name="spread"/>: the cache picks a set from
    /// those octets, so consecutive values fill every set evenly and a round-robin over the sessions misses every time.
    /// </summary>
    private Session NewSession(AeadAlgorithm algorithm, int spread = 0)
    {
        int n = Aead.KeyLength(algorithm);
        byte[] c2s = RandomNumberGenerator.GetBytes(n);
        BinaryPrimitives.WriteInt32LittleEndian(c2s, spread);
        var s = new Session(algorithm, c2s, RandomNumberGenerator.GetBytes(n));
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        s.Cookie = cookie[.._issuer.Seal(algorithm, s.C2S, s.S2C, cookie)];
        _sessions.Add(s);
        return s;
    }

    private static NtpTimestamp TransmitOf(int i) => NtpTimestamp.FromParts(3_900_000_000, (uint)i + 1);

    private static byte[] Request(Session s, NtpTimestamp transmit)
    {
        byte[] packet = new byte[1024];
        int length = NtsClientPacket.Write(packet, transmit, s.Uid, s.Cookie, 0, s.C2SAead, RandomNumberGenerator.GetBytes(s.C2SAead.NonceLength));
        return packet[..length];
    }

    /// <summary>Sessions per algorithm that overflow the cache: 5 per four-way set, so round-robin evicts each before it returns.</summary>
    private const int PerAlgorithm = SessionAeadCache.DefaultEntries / SessionAeadCache.Ways * 5;

    [Fact]
    public void MoreSessionsThanTheCacheHolds_EachGetAuthenticReplies()
    {
        const int count = PerAlgorithm * 4;
        var sessions = new Session[count];
        for (int i = 0; i < count; i++) sessions[i] = NewSession(Algorithms[i % Algorithms.Length], i / Algorithms.Length);
        byte[] response = new byte[1024];
        var cookies = new List<byte[]>();

        // Two rounds, every client in turn, each sending the cookie its last reply carried.
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < count; i++)
            {
                Session s = sessions[i];
                NtpTimestamp transmit = TransmitOf(i);
                ResponderResult result = _server.Handle(Request(s, transmit), response);
                Assert.True(result.ShouldRespond, $"round {round}, session {i}");
                cookies.Clear();
                Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(response.AsSpan(0, result.Length), transmit, s.Uid, s.S2CAead, cookies));
                s.Cookie = Assert.Single(cookies);
                Assert.Equal(NtsCookieCodec.CookieLength(s.Algorithm), s.Cookie.Length);
            }
        }

        Assert.Equal(2L * count, _server.Tally.Authenticated);
        Assert.Equal(0L, _server.Tally.Rejected);
        // Five sessions per four-way set, polled round-robin: LRU has evicted each before it returns.
        Assert.Equal(2L * count, _server.Tally.SessionKeyLoads);
    }

    [Fact]
    public void NewSessionOnEveryRequest_AllocatesNothing()
    {
        Assert.True(Aead.IsHardwareAccelerated, "The zero-allocation guarantee is for the AES hardware path.");
        const int count = PerAlgorithm * 4;
        byte[][] requests = new byte[count][];
        byte[][] responses = new byte[count][];
        int[] lengths = new int[count];
        var sessions = new Session[count];
        for (int i = 0; i < count; i++)
        {
            sessions[i] = NewSession(Algorithms[i % Algorithms.Length], i / Algorithms.Length);
            requests[i] = Request(sessions[i], TransmitOf(i));
            responses[i] = new byte[1024];
        }

        // Warm-up: builds each algorithm's pool and takes every path once.
        for (int i = 0; i < count; i++) Assert.True(_server.Handle(requests[i], responses[i]).ShouldRespond);

        long misses = _server.Tally.SessionKeyLoads;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++) lengths[i] = _server.Handle(requests[i], responses[i]).Length;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(misses + count, _server.Tally.SessionKeyLoads);
        var cookies = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            cookies.Clear();
            Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(responses[i].AsSpan(0, lengths[i]), TransmitOf(i), sessions[i].Uid, sessions[i].S2CAead, cookies));
            Assert.Single(cookies);
        }
    }

    [Fact]
    public void ReturningSession_HitsTheCacheAndAllocatesNothing()
    {
        Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] request = Request(s, TransmitOf(1));
        byte[] response = new byte[1024];
        for (int i = 0; i < 10; i++) _server.Handle(request, response);

        long misses = _server.Tally.SessionKeyLoads;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) Assert.True(_server.Handle(request, response).ShouldRespond);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(misses, _server.Tally.SessionKeyLoads);
    }

    [Fact]
    public void CookieKeyRotation_AllocatesNothing()
    {
        Assert.True(Aead.IsHardwareAccelerated, "The zero-allocation guarantee is for the AES hardware path.");
        Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] secret = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();
        var sets = new CookieKeySet[8];
        for (int i = 0; i < sets.Length; i++) sets[i] = CookieKeySet.Derive(secret, 500 + (i % 2), 2);
        byte[] request = Request(s, TransmitOf(1));
        byte[] response = new byte[1024];
        for (int i = 0; i < sets.Length; i++)
        {
            _server.Store.Publish(sets[i]);
            Assert.True(_server.Handle(request, response).ShouldRespond);
        }

        // Every request sees a newly published set (alternating epochs 500 and 501), which re-keys the cookie AEADs.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            _server.Store.Publish(sets[i % sets.Length]);
            Assert.True(_server.Handle(request, response).ShouldRespond);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
