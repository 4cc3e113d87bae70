using System.Buffers.Binary;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FsCheck;
using FsCheck.Fluent;

namespace FastNtp.LoadTest.Tests;

/// <summary>The generator's NTS requests against the real NTS responder, and its reply checks against NtsClientPacket.Verify.</summary>
public sealed class NtsLoadSessionTests : IDisposable
{
    private const long MaxSkew = 10_000_000_000;
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(Secret, 1000, 7));
    private readonly NtsResponder _nts;
    private readonly Responder _responder;
    private readonly RandomPool _random = new();
    private long _authenticated;
    private readonly ServerSnapshot _snapshot = ServerSnapshot.LocalClock(1, -20, new RealtimeClock().Now());

    public NtsLoadSessionTests()
    {
        _nts = new NtsResponder(_store);
        _responder = new Responder(_nts);
    }

    public void Dispose() => _nts.Dispose();

    private sealed record Keys(AeadAlgorithm Algorithm, byte[] C2S, byte[] S2C, List<byte[]> Cookies);

    private Keys NewKeys(AeadAlgorithm algorithm, int cookies = 3)
    {
        int n = Aead.KeyLength(algorithm);
        byte[] c2s = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        byte[] s2c = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        using var codec = new NtsCookieCodec(_store, _random);
        var list = new List<byte[]>();
        for (int i = 0; i < cookies; i++)
        {
            byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
            list.Add(cookie[..codec.Seal(algorithm, c2s, s2c, cookie)]);
        }

        return new Keys(algorithm, c2s, s2c, list);
    }

    private static NtsLoadSession Session(Keys k, int placeholders = 0, byte seedByte = 7) =>
        new(k.Algorithm, k.C2S, k.S2C, k.Cookies, placeholders, Enumerable.Repeat(seedByte, 32).ToArray());

    private static ulong Transmit(uint sequence) =>
        ((ulong)NtpTimestamp.FromUnixNanoseconds(RealtimeClock.UnixNanoseconds()).Seconds << 32) | sequence;

    /// <summary>What a server answers; empty when it drops the request.</summary>
    private byte[] Serve(ReadOnlySpan<byte> request)
    {
        byte[] response = new byte[2048];
        var clock = new RealtimeClock();
        ResponderResult result = _responder.Handle(request, new RequestInfo(clock.Now(), 40000), _snapshot, response, ref clock);
        if ((result.Nts & NtsOutcome.Authenticated) != 0) _authenticated++;
        return result.ShouldRespond ? response[..result.Length] : [];
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256, 0)]
    [InlineData(AeadAlgorithm.AesSivCmac256, 3)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 0)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 7)]
    public void Requests_AreAcceptedByTheResponderAndRepliesVerify(AeadAlgorithm algorithm, int placeholders)
    {
        Keys k = NewKeys(algorithm);
        using NtsLoadSession session = Session(k, placeholders);
        byte[] request = new byte[session.MaxRequestLength];
        var uids = new HashSet<string>();
        var nonces = new HashSet<string>();
        for (uint i = 0; i < 8; i++)
        {
            ulong transmit = Transmit(1000 + i);
            int length = session.WriteRequest(request, transmit);
            Assert.InRange(length, NtpHeader.Length + 1, session.MaxRequestLength);
            Assert.True(NtpHeader.TryRead(request, out NtpHeader header));
            Assert.Equal(NtpMode.Client, header.Mode);
            Assert.Equal(transmit, header.TransmitTime.Value);
            (byte[] uid, byte[] nonce) = UidAndNonce(request.AsSpan(0, length));
            Assert.Equal(32, uid.Length);
            Assert.True(uids.Add(Convert.ToHexString(uid)));
            Assert.True(nonces.Add(Convert.ToHexString(nonce)));

            byte[] reply = Serve(request.AsSpan(0, length));
            Assert.NotEmpty(reply);
            Assert.Equal(ReplyVerdict.Valid, session.Verify(reply, RealtimeClock.UnixNanoseconds(), MaxSkew, out ulong origin));
            Assert.Equal(transmit, origin);

            // The library's own (allocating) client check agrees, and the reply carries 1 + placeholders cookies.
            using var s2c = Aead.Create(algorithm, k.S2C);
            var fresh = new List<byte[]>();
            Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(reply, new NtpTimestamp(transmit), uid, s2c, fresh));
            Assert.Equal(1 + placeholders, fresh.Count);
        }

        Assert.Equal(8L, _authenticated);
        Assert.Equal(algorithm == AeadAlgorithm.Aes128GcmSiv ? 12 : 16, nonces.First().Length / 2);
    }

    [Fact]
    public void Cookies_AreUsedRoundRobin()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256, cookies: 3);
        using NtsLoadSession session = Session(k);
        byte[] request = new byte[session.MaxRequestLength];
        var seen = new List<int>();
        for (uint i = 0; i < 6; i++)
        {
            int length = session.WriteRequest(request, Transmit(i));
            byte[] cookie = FieldValue(request.AsSpan(0, length), NtsExtensionFieldType.Cookie);
            seen.Add(k.Cookies.FindIndex(c => c.AsSpan().SequenceEqual(cookie.AsSpan(0, c.Length))));
        }

        Assert.Equal([0, 1, 2, 0, 1, 2], seen);
    }

    [Fact]
    public void TamperedReply_FailsAuthentication()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(5);
        byte[] reply = Serve(request.AsSpan(0, session.WriteRequest(request, transmit)));
        // Flip a bit of the receive timestamp: the header is associated data of the authenticator.
        reply[35] ^= 1;
        Assert.Equal(ReplyVerdict.NtsAuthenticationFailed, session.VerifyAuthentication(reply, transmit));
    }

    [Fact]
    public void ReplyUnderOtherKeys_FailsAuthentication()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        Keys other = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession sender = Session(k);
        // Same prefixes (seed) but other S2C key: only the authenticator can tell them apart.
        using NtsLoadSession wrongKeys = new(other.Algorithm, other.C2S, other.S2C, other.Cookies, 0, Enumerable.Repeat((byte)7, 32).ToArray());
        byte[] request = new byte[sender.MaxRequestLength];
        ulong transmit = Transmit(6);
        byte[] reply = Serve(request.AsSpan(0, sender.WriteRequest(request, transmit)));
        Assert.Equal(ReplyVerdict.Valid, sender.VerifyAuthentication(reply, transmit));
        Assert.Equal(ReplyVerdict.NtsAuthenticationFailed, wrongKeys.VerifyAuthentication(reply, transmit));
    }

    [Fact]
    public void ReplyEchoingAnotherIdentifier_IsWrongUniqueId()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k);
        using NtsLoadSession otherPrefix = Session(k, seedByte: 9);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(7);
        byte[] reply = Serve(request.AsSpan(0, session.WriteRequest(request, transmit)));
        Assert.Equal(ReplyVerdict.NtsWrongUniqueId, otherPrefix.VerifyAuthentication(reply, transmit));
        Assert.Equal(ReplyVerdict.NtsWrongUniqueId, session.VerifyAuthentication(reply, transmit + 1));
    }

    [Fact]
    public void PlainReply_HasNoUniqueIdAndAReplyWithoutAuthenticatorIsCaught()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(8);
        byte[] reply = Serve(request.AsSpan(0, session.WriteRequest(request, transmit)));
        Assert.Equal(ReplyVerdict.NtsNoUniqueId, session.VerifyAuthentication(reply.AsSpan(0, NtpHeader.Length), transmit));

        // Keep the header and the unique identifier field only.
        int uidField = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(NtpHeader.Length + 2));
        Assert.Equal(ReplyVerdict.NtsNoAuthenticator, session.VerifyAuthentication(reply.AsSpan(0, NtpHeader.Length + uidField), transmit));

        // A field appended after the authenticator would be unauthenticated.
        byte[] longer = new byte[reply.Length + 16];
        reply.CopyTo(longer, 0);
        ExtensionFieldWriter.Write(longer.AsSpan(reply.Length), 0x7777, new byte[12]);
        Assert.Equal(ReplyVerdict.NtsMalformed, session.VerifyAuthentication(longer, transmit));
    }

    [Fact]
    public void NtsNak_IsItsOwnInvalidVerdictNotAKissOfDeath()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(9);
        int length = session.WriteRequest(request, transmit);
        // Corrupt the cookie so the server cannot open it: it answers with an NTS NAK.
        int cookieOffset = NtpHeader.Length + BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(NtpHeader.Length + 2));
        request[cookieOffset + ExtensionField.HeaderLength + 8] ^= 0xFF;
        byte[] reply = Serve(request.AsSpan(0, length));
        Assert.NotEmpty(reply);
        Assert.Equal(ReplyVerdict.NtsNak, session.Verify(reply, RealtimeClock.UnixNanoseconds(), MaxSkew, out ulong origin));
        Assert.Equal(transmit, origin);
    }

    [Fact]
    public void Verify_AgreesWithTheLibraryClientCheckOnRandomCorruptions()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k);
        using var s2c = Aead.Create(k.Algorithm, k.S2C);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(10);
        int length = session.WriteRequest(request, transmit);
        byte[] reply = Serve(request.AsSpan(0, length));
        byte[] uid = UidAndNonce(request.AsSpan(0, length)).Uid;

        Arbitrary<(int, byte)> corruptions =
            (from position in Gen.Choose(0, 1 << 20) from mask in Gen.Choose(1, 255) select (position, (byte)mask)).ToArbitrary();
        Prop.ForAll(corruptions, pair =>
        {
            (int position, byte mask) = pair;
            byte[] corrupt = (byte[])reply.Clone();
            // Only the NTS part: header corruption is NtpProbe's business (and changes the origin).
            int index = NtpHeader.Length + (int)((uint)position % (uint)(corrupt.Length - NtpHeader.Length));
            corrupt[index] ^= mask;
            bool ours = session.VerifyAuthentication(corrupt, transmit) == ReplyVerdict.Valid;
            bool library = NtsClientPacket.Verify(corrupt, new NtpTimestamp(transmit), uid, s2c, []) == NtsReplyStatus.Ok;
            return ours == library;
        }).QuickCheckThrowOnFailure();
        Assert.Equal(ReplyVerdict.Valid, session.VerifyAuthentication(reply, transmit));
    }

    [Fact]
    public void WritingRequestsAndVerifyingReplies_AllocatesNothing()
    {
        Keys k = NewKeys(AeadAlgorithm.AesSivCmac256);
        using NtsLoadSession session = Session(k, placeholders: 1);
        byte[] request = new byte[session.MaxRequestLength];
        ulong transmit = Transmit(11);
        byte[] reply = Serve(request.AsSpan(0, session.WriteRequest(request, transmit)));
        long now = RealtimeClock.UnixNanoseconds();
        int valid = 0;
        for (int i = 0; i < 100; i++) valid += session.Verify(reply, now, MaxSkew, out _) == ReplyVerdict.Valid ? 1 : 0;

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 0; i < 2000; i++)
        {
            session.WriteRequest(request, transmit + i);
            valid += session.Verify(reply, now, MaxSkew, out _) == ReplyVerdict.Valid ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2100, valid);
        Assert.Equal(0, allocated);
    }

    private static (byte[] Uid, byte[] Nonce) UidAndNonce(ReadOnlySpan<byte> request)
    {
        byte[] uid = FieldValue(request, NtsExtensionFieldType.UniqueIdentifier);
        byte[] auth = FieldValue(request, NtsExtensionFieldType.Authenticator);
        int nonceLength = BinaryPrimitives.ReadUInt16BigEndian(auth);
        return (uid, auth.AsSpan(4, nonceLength).ToArray());
    }

    private static byte[] FieldValue(ReadOnlySpan<byte> packet, ushort type)
    {
        var reader = new ExtensionFieldReader(packet[NtpHeader.Length..]);
        while (reader.MoveNext())
            if (reader.Current.Type == type) return reader.Current.Value.ToArray();
        throw new InvalidOperationException($"No field of type {type:X4}.");
    }
}
