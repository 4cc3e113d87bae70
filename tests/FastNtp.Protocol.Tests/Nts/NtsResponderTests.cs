using FastNtp.Crypto;
using FastNtp.Tests.Shared;

namespace FastNtp.Protocol.Tests.Nts;

public sealed class NtsResponderTests : IDisposable
{

    private readonly InProcessNtsServer _server = new();
    private readonly RandomPool _random = new();

    public void Dispose() => _server.Dispose();

    private sealed class Session : IDisposable
    {
        public required AeadAlgorithm Algorithm;
        public required byte[] C2S;
        public required byte[] S2C;
        public required Aead C2SAead;
        public required Aead S2CAead;

        public void Dispose()
        {
            C2SAead.Dispose();
            S2CAead.Dispose();
        }
    }

    private static Session NewSession(AeadAlgorithm algorithm)
    {
        int n = Aead.KeyLength(algorithm);
        byte[] c2s = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        byte[] s2c = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        return new Session { Algorithm = algorithm, C2S = c2s, S2C = s2c, C2SAead = Aead.Create(algorithm, c2s), S2CAead = Aead.Create(algorithm, s2c) };
    }

    private byte[] IssueCookie(Session s, CookieKeyStore? store = null)
    {
        using var codec = new NtsCookieCodec(store ?? _server.Store, _random);
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int length = codec.Seal(s.Algorithm, s.C2S, s.S2C, cookie);
        return cookie[..length];
    }

    private static byte[] BuildRequest(Session s, byte[] cookie, int placeholders, byte[] uid, NtpTimestamp transmit)
    {
        byte[] packet = new byte[2048];
        byte[] nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(s.C2SAead.NonceLength);
        int length = NtsClientPacket.Write(packet, transmit, uid, cookie, placeholders, s.C2SAead, nonce);
        return packet[..length];
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256, 0)]
    [InlineData(AeadAlgorithm.AesSivCmac256, 7)]
    [InlineData(AeadAlgorithm.AesSivCmac384, 2)]
    [InlineData(AeadAlgorithm.AesSivCmac512, 1)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, 3)]
    public void AuthenticatedReply_CarriesOneCookiePerCookieAndPlaceholder(AeadAlgorithm algorithm, int placeholders)
    {
        using Session s = NewSession(algorithm);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(3_900_000_000, 12345);
        byte[] request = BuildRequest(s, IssueCookie(s), placeholders, uid, transmit);
        byte[] response = new byte[1024];

        ResponderResult result = _server.Handle(request, response);

        Assert.True(result.ShouldRespond);
        Assert.True(result.Length <= request.Length);
        var cookies = new List<byte[]>();
        Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(response.AsSpan(0, result.Length), transmit, uid, s.S2CAead, cookies));
        Assert.Equal(1 + placeholders, cookies.Count);
        Assert.All(cookies, c => Assert.Equal(NtsCookieCodec.CookieLength(algorithm), c.Length));
        Assert.Equal(1L, _server.Tally.Authenticated);

        // Every fresh cookie is itself usable for the next request.
        byte[] next = BuildRequest(s, cookies[^1], 0, uid, transmit);
        Assert.True(_server.Handle(next, response).ShouldRespond);
    }

    [Fact]
    public void SmearedReply_IsAuthenticatedAndCarriesSmearedTimes()
    {
        // Six hours before a leap, inside a 24 h smear: the NTS path stamps what the plain path stamps.
        var smear = new FastNtp.Protocol.Leap.LeapSmear(
            InProcessNtsServer.ReceiveTime + NtpDuration.FromSeconds(6 * 3600), 1, NtpDuration.FromSeconds(86_400), false);
        ServerSnapshot smeared = InProcessNtsServer.Snapshot with { Smear = smear, InLeapWindow = true };
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(3_900_000_000, 99);
        byte[] response = new byte[1024];
        var clock = new Server.FakeClock(InProcessNtsServer.ReceiveTime);

        ResponderResult result = _server.Responder.Handle(
            BuildRequest(s, IssueCookie(s), 0, uid, transmit), new RequestInfo(InProcessNtsServer.ReceiveTime, 40000), smeared, response, ref clock);

        Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(response.AsSpan(0, result.Length), transmit, uid, s.S2CAead, []));
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(smear.Serve(InProcessNtsServer.ReceiveTime), reply.ReceiveTime);
        Assert.NotEqual(InProcessNtsServer.ReceiveTime, reply.ReceiveTime);
        Assert.Equal(smear.Serve(clock.ValueOfRead(1)), reply.TransmitTime);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InterleavedRequest_GetsAnAuthenticatedInterleavedReplyAndABasicOneOtherwise(bool matching)
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(3_900_000_000, 77);
        var previous = new PreviousReply(
            InProcessNtsServer.ReceiveTime - NtpDuration.FromSeconds(16), InProcessNtsServer.ReceiveTime - NtpDuration.FromSeconds(15));
        var clientReceive = NtpTimestamp.FromParts(3_899_999_985, 5);
        // The origin and receive fields are sealed with the rest of the request, as an NTS client in interleaved mode sends them.
        byte[] request = BuildRequest(s, IssueCookie(s), 0, uid, transmit);
        (matching ? previous.Receive : previous.Transmit).Write(request.AsSpan(24));
        clientReceive.Write(request.AsSpan(32));
        int authStart = NtsRequestFields.Read(request.AsSpan(NtpHeader.Length)).AuthenticatorStart;
        NtsAuthenticator.Write(
            request.AsSpan(authStart), s.C2SAead, System.Security.Cryptography.RandomNumberGenerator.GetBytes(s.C2SAead.NonceLength),
            request.AsSpan(0, authStart), [], NtsExtensionFieldType.MinimumNonceAndPadding);
        byte[] response = new byte[1024];
        var clock = new Server.FakeClock(InProcessNtsServer.ReceiveTime);
        var info = new RequestInfo(InProcessNtsServer.ReceiveTime, 40000) { Previous = previous };

        ResponderResult result = _server.Responder.Handle(request, info, InProcessNtsServer.Snapshot, response, ref clock);

        Assert.Equal(matching, result.Interleaved);
        Assert.Equal(NtsReplyCheck.Authentic, NtsClientPacket.CheckFields(response.AsSpan(0, result.Length), uid, s.S2CAead, new byte[2048], out _));
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(InProcessNtsServer.ReceiveTime, reply.ReceiveTime);
        Assert.Equal(matching ? clientReceive : transmit, reply.OriginTime);
        Assert.Equal(matching ? previous.Transmit : clock.ValueOfRead(1), reply.TransmitTime);
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv)]
    public void ClientVerification_RejectsHostileRepliesWithoutThrowing(AeadAlgorithm algorithm)
    {
        using Session s = NewSession(algorithm);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(3_900_000_000, 777);
        byte[] response = new byte[1024];
        int length = _server.Handle(BuildRequest(s, IssueCookie(s), 1, uid, transmit), response).Length;
        byte[] reply = response[..length];
        var cookies = new List<byte[]>();
        Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(reply, transmit, uid, s.S2CAead, cookies));

        // The authenticator is the last field: its body starts with the nonce length, then the ciphertext length.
        int authenticator = NtpHeader.Length + ExtensionFieldWriter.FieldLength(uid.Length);
        byte[] wrongNonceLength = (byte[])reply.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(wrongNonceLength.AsSpan(authenticator + 4), 8);
        Assert.Equal(NtsReplyStatus.Invalid, NtsClientPacket.Verify(wrongNonceLength, transmit, uid, s.S2CAead, cookies));

        byte[] hugeCiphertext = (byte[])reply.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(hugeCiphertext.AsSpan(authenticator + 6), ushort.MaxValue);
        Assert.Equal(NtsReplyStatus.Invalid, NtsClientPacket.Verify(hugeCiphertext, transmit, uid, s.S2CAead, cookies));

        byte[] tampered = (byte[])reply.Clone();
        tampered[^1] ^= 1;
        Assert.Equal(NtsReplyStatus.Invalid, NtsClientPacket.Verify(tampered, transmit, uid, s.S2CAead, cookies));

        byte[] otherUid = (byte[])uid.Clone();
        otherUid[0] ^= 1;
        Assert.Equal(NtsReplyStatus.NotOurs, NtsClientPacket.Verify(reply, transmit, otherUid, s.S2CAead, cookies));
        Assert.Equal(NtsReplyStatus.NotOurs, NtsClientPacket.Verify(reply, new NtpTimestamp(transmit.Value + 1), uid, s.S2CAead, cookies));

        for (int cut = 0; cut < reply.Length; cut += 7)
            Assert.NotEqual(NtsReplyStatus.Ok, NtsClientPacket.Verify(reply[..cut], transmit, uid, s.S2CAead, cookies));
        Assert.Equal(2, cookies.Count); // only the authentic reply added cookies
    }

    [Fact]
    public void Reply_IsNeverLongerThanTheRequest()
    {
        using Session s = NewSession(AeadAlgorithm.Aes128GcmSiv);
        byte[] uid = new byte[32];
        for (int placeholders = 0; placeholders <= 7; placeholders++)
        {
            byte[] request = BuildRequest(s, IssueCookie(s), placeholders, uid, NtpTimestamp.FromParts(1, 2));
            byte[] response = new byte[2048];
            ResponderResult result = _server.Handle(request, response);
            Assert.True(result.ShouldRespond);
            Assert.InRange(result.Length, NtpHeader.Length, request.Length);
        }
    }

    [Fact]
    public void PlainResponder_IgnoresNtsFields()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] request = BuildRequest(s, IssueCookie(s), 1, new byte[32], NtpTimestamp.FromParts(1, 2));
        var plain = new Responder();
        var clock = new FixedClock(InProcessNtsServer.ReceiveTime);
        ResponderResult result = plain.Handle(request, new RequestInfo(InProcessNtsServer.ReceiveTime, 40000), InProcessNtsServer.Snapshot, new byte[1024], ref clock);
        Assert.Equal(ResponderResult.Respond(NtpHeader.Length), result);
    }

    [Fact]
    public void PlainRequestToNtsResponder_GetsPlainReply()
    {
        byte[] request = new byte[48];
        request[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 4, NtpMode.Client);
        Assert.Equal(ResponderResult.Respond(NtpHeader.Length), _server.Handle(request, new byte[1024]));
    }

    [Fact]
    public void UndecryptableCookies_GetAnNtsNak()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(7, 7);

        byte[] tampered = IssueCookie(s);
        tampered[30] ^= 1;
        byte[] unknownKey = IssueCookie(s);
        BinaryPrimitives.WriteUInt32BigEndian(unknownKey, 5);
        byte[] otherFleet = IssueCookie(s, new CookieKeyStore(CookieKeySet.Derive(new byte[32], 1000, 7)));

        foreach (byte[] cookie in new[] { tampered, unknownKey, otherFleet })
        {
            byte[] request = BuildRequest(s, cookie, 2, uid, transmit);
            byte[] response = new byte[1024];
            ResponderResult result = _server.Handle(request, response);
            Assert.Equal(NtpHeader.Length + 4 + uid.Length, result.Length);
            Assert.Equal(NtsReplyStatus.Nak, NtsClientPacket.Verify(response.AsSpan(0, result.Length), transmit, uid, s.S2CAead, []));
            Assert.True(NtpHeader.TryRead(response, out NtpHeader header));
            Assert.Equal(0, header.Stratum);
            Assert.Equal(ReferenceId.NtsNak, header.ReferenceId);
        }

        Assert.Equal(3L, _server.Tally.Naks);
    }

    [Fact]
    public void CookieThatOpensWithFailingAuthenticator_GetsAnNtsNak()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] uid = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var transmit = NtpTimestamp.FromParts(1, 1);
        byte[] request = BuildRequest(s, IssueCookie(s), 0, uid, transmit);
        // Flip one bit in the transmit timestamp: the authenticator no longer matches.
        request[47] ^= 1;
        transmit = NtpHeader.ReadTransmitTime(request);
        byte[] response = new byte[1024];
        // The session's keys were loaded before authentication failed: the counters see both.
        Assert.Equal(ResponderResult.Respond(NtpHeader.Length + 4 + uid.Length, NtsOutcome.Nak | NtsOutcome.SessionKeysLoaded), _server.Handle(request, response));
        Assert.Equal(NtsReplyStatus.Nak, NtsClientPacket.Verify(response.AsSpan(0, NtpHeader.Length + 4 + uid.Length), transmit, uid, s.S2CAead, []));

        // A request sealed with the wrong key fails too; the cookie's keys are cached by now.
        using Session other = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] wrongKey = BuildRequest(other, IssueCookie(s), 0, uid, transmit);
        Assert.Equal(ResponderResult.Respond(NtpHeader.Length + 4 + uid.Length, NtsOutcome.Nak), _server.Handle(wrongKey, response));
        Assert.Equal(2L, _server.Tally.Naks);
        Assert.Equal(0L, _server.Tally.Rejected);
        Assert.Equal(0L, _server.Tally.Authenticated);
    }

    private static byte[] Field(ushort type, int valueLength, byte fill = 0)
    {
        byte[] value = new byte[valueLength];
        Array.Fill(value, fill);
        byte[] field = new byte[ExtensionFieldWriter.FieldLength(valueLength)];
        ExtensionFieldWriter.Write(field, type, value);
        return field;
    }

    /// <summary>Assembles a request from fields and appends a valid authenticator over them.</summary>
    private static byte[] Assemble(Session s, params byte[][] fields)
    {
        var packet = new List<byte>(new byte[48])
        {
            [0] = NtpHeader.FirstByte(LeapIndicator.Unsynchronized, 4, NtpMode.Client)
        };
        foreach (byte[] f in fields) packet.AddRange(f);
        byte[] head = packet.ToArray();
        byte[] nonce = new byte[16];
        byte[] sealedEmpty = new byte[16];
        s.C2SAead.Seal(nonce, head, [], sealedEmpty);
        byte[] auth = new byte[4 + 4 + 16 + 16];
        BinaryPrimitives.WriteUInt16BigEndian(auth, NtsExtensionFieldType.Authenticator);
        BinaryPrimitives.WriteUInt16BigEndian(auth.AsSpan(2), (ushort)auth.Length);
        BinaryPrimitives.WriteUInt16BigEndian(auth.AsSpan(4), 16);
        BinaryPrimitives.WriteUInt16BigEndian(auth.AsSpan(6), 16);
        sealedEmpty.CopyTo(auth, 24);
        return [.. head, .. auth];
    }

    private static byte[] CookieField(byte[] cookie)
    {
        byte[] f = new byte[ExtensionFieldWriter.FieldLength(cookie.Length)];
        ExtensionFieldWriter.Write(f, NtsExtensionFieldType.Cookie, cookie);
        return f;
    }

    [Fact]
    public void MalformedNtsRequests_AreDropped()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] cookie = CookieField(IssueCookie(s));
        byte[] uid = Field(NtsExtensionFieldType.UniqueIdentifier, 32, 9);
        byte[] response = new byte[2048];

        // The well-formed version of the hand-built request is accepted, so each failure below is the one change.
        Assert.True(_server.Handle(Assemble(s, uid, cookie), response).ShouldRespond);

        var cases = new Dictionary<string, byte[]>
        {
            ["missing unique identifier"] = Assemble(s, cookie),
            ["short unique identifier"] = Assemble(s, Field(NtsExtensionFieldType.UniqueIdentifier, 16), cookie),
            ["two unique identifiers"] = Assemble(s, uid, uid, cookie),
            ["two cookies"] = Assemble(s, uid, cookie, cookie),
            ["placeholder of the wrong size"] = Assemble(s, uid, cookie, Field(NtsExtensionFieldType.CookiePlaceholder, 40)),
            ["no authenticator"] = [.. Assemble(s, uid, cookie).AsSpan(0, 48 + uid.Length + cookie.Length)],
        };
        byte[] valid = Assemble(s, uid, cookie);
        byte[] authField = valid[(48 + uid.Length + cookie.Length)..];
        cases["duplicate authenticator"] = [.. valid, .. authField];
        cases["field after the authenticator"] = [.. valid, .. Field(0x7777, 12)];
        byte[] badLengths = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(badLengths.AsSpan(48 + uid.Length + cookie.Length + 6), 400);
        cases["ciphertext longer than the field"] = badLengths;

        foreach ((string why, byte[] request) in cases)
        {
            ResponderResult result = _server.Handle(request, response);
            Assert.True(result == ResponderResult.Drop(DropReason.NtsInvalid), why);
        }
    }

    [Fact]
    public void CookieKeys_RotateWithoutFailingAPollingClient()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] uid = new byte[32];
        byte[] response = new byte[1024];
        byte[] cookie = IssueCookie(s);
        // Poll once per epoch for 20 epochs, always using the newest cookie: no request may fail.
        for (long epoch = 1000; epoch < 1020; epoch++)
        {
            _server.Store.Publish(CookieKeySet.Derive(InProcessNtsServer.Secret, epoch, 7));
            var t = NtpTimestamp.FromParts((uint)epoch, 1);
            ResponderResult result = _server.Handle(BuildRequest(s, cookie, 0, uid, t), response);
            var fresh = new List<byte[]>();
            Assert.Equal(NtsReplyStatus.Ok, NtsClientPacket.Verify(response.AsSpan(0, result.Length), t, uid, s.S2CAead, fresh));
            cookie = Assert.Single(fresh);
            Assert.Equal(CookieKeySet.KeyIdOf(epoch), BinaryPrimitives.ReadUInt32BigEndian(cookie));
        }
    }

    [Fact]
    public void StaleCookies_AreAcceptedForStaleEpochsThenNaked()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] old = IssueCookie(s);
        byte[] response = new byte[1024];
        _server.Store.Publish(CookieKeySet.Derive(InProcessNtsServer.Secret, 1007, 7));
        Assert.Equal(NtpHeader.Length + 36 + 4 + 4 + 16 + 16 + 4 + old.Length, _server.Handle(BuildRequest(s, old, 0, new byte[32], default), response).Length);
        _server.Store.Publish(CookieKeySet.Derive(InProcessNtsServer.Secret, 1008, 7));
        Assert.Equal(NtpHeader.Length + 36, _server.Handle(BuildRequest(s, old, 0, new byte[32], default), response).Length);
    }

    [Fact]
    public void PerPacketPath_AllocatesNothing()
    {
        using Session s = NewSession(AeadAlgorithm.AesSivCmac256);
        byte[] request = BuildRequest(s, IssueCookie(s), 1, new byte[32], NtpTimestamp.FromParts(5, 5));
        byte[] response = new byte[1024];
        for (int i = 0; i < 100; i++) _server.Handle(request, response);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Assert.True(_server.Handle(request, response).ShouldRespond);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
