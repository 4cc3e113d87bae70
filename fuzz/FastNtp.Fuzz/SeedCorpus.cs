using System.Text;
using FastNtp.Crypto;
using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;

namespace FastNtp.Fuzz;

/// <summary>
/// Writes valid and near-valid inputs for every target, made with the project's own writers and the fixed keys
/// (real cookies, real authenticators), so each fuzzer starts past the first length and MAC checks.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string root)
    {
        var cookies = new NtsCookieCodec(Fixtures.Keys, new RandomPool());
        byte[] cookie = new byte[NtsCookieCodec.CookieLength(FuzzKeys.Algorithm)];
        cookies.Seal(FuzzKeys.Algorithm, FuzzKeys.C2S, FuzzKeys.S2C, cookie);
        using var c2s = Aead.Create(FuzzKeys.Algorithm, FuzzKeys.C2S);

        byte[] plain = ClientRequest(4, NtpMode.Client);
        byte[][] plainRequests = [plain, ClientRequest(3, NtpMode.Client), ClientRequest(1, NtpMode.Reserved), ClientRequest(2, NtpMode.Control),
            ClientRequest(2, NtpMode.Private), ClientRequest(4, NtpMode.SymmetricActive), [.. plain, .. new byte[20]]];
        byte[] nts = NtsRequest(cookie, 0, c2s);
        byte[] ntsPlaceholders = NtsRequest(cookie, 3, c2s);
        byte[] badAuthenticator = (byte[])nts.Clone();
        badAuthenticator[^1] ^= 1;
        byte[] badCookie = (byte[])nts.Clone();
        badCookie[NtpHeader.Length + 36 + 8] ^= 1;
        byte[][] ntsRequests = [nts, ntsPlaceholders, badAuthenticator, badCookie];

        Save(root, "ntp-header", [.. plainRequests, .. ntsRequests]);
        Save(root, "responder", [
            .. plainRequests.Select(r => Single(FuzzServer.Interleaved, r)), .. ntsRequests.Select(r => Single(FuzzServer.Interleaved, r)),
            Single(FuzzServer.None, plain), Single(FuzzServer.RateLimit, plain),
            .. InterleavedSequences(Fixtures.Plain, PlainRequest)]);
        Save(root, "nts-responder", [
            .. ntsRequests.Select(r => Single(FuzzServer.Interleaved, r)), Single(FuzzServer.Interleaved, plain), Single(FuzzServer.None, nts),
            .. InterleavedSequences(Fixtures.Nts, (origin, receive, transmit) => NtsRequest(cookie, 0, c2s, origin, receive, transmit))]);
        Save(root, "nts-cookie", [cookie, cookie[..20]]);

        var client = new NtsKeClientSession([AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv]);
        byte[] keRequest = client.Request.ToArray();
        var server = new NtsKeServerSession(Fixtures.KePolicy);
        byte[] keResponseBuffer = new byte[Fixtures.KePolicy.MaxResponseLength];
        NtsKeServerStep step = server.Receive(keRequest, Fixtures.Exporter, cookies, keResponseBuffer);
        byte[] keResponse = keResponseBuffer[..step.ResponseLength];
        Save(root, "ntske-records", [keRequest, keResponse]);
        Save(root, "ntske-server", [[255, .. keRequest], [7, .. keRequest], [255, .. keRequest[..^4]]]);
        Save(root, "ntske-client", [keResponse]);

        byte[] reply = Reply(new Responder(), plain);
        Save(root, "client-reply", [reply]);
        Save(root, "nts-client-reply", [Reply(new Responder(new NtsResponder(FuzzKeys.NewStore())), ntsPlaceholders), reply]);

        Save(root, "frame", [Frame(plain, ipv6: false), Frame(nts, ipv6: true)]);
        Save(root, "access-list", [Encoding.UTF8.GetBytes("0.0.0.0/0\n::/0\n192.0.2.0/24\n2001:db8::/32\n10.1.2.3\n::ffff:10.0.0.0/104")]);
        Save(root, "config", [Encoding.UTF8.GetBytes("""
            {
              "Server": { "Listen": [ "127.0.0.1:12300", "[::1]:12300" ], "Workers": 2 },
              "RateLimit": { "Enabled": true },
              "Access": { "Allow": [ "127.0.0.0/8" ], "Deny": [ "10.0.0.0/8" ] }
            }
            """), Encoding.UTF8.GetBytes("{}")]);
        // Debian tzdata's file as shipped (a real hash and expiry) and its last lines alone.
        byte[] leapFile = File.ReadAllBytes("/usr/share/zoneinfo/leap-seconds.list");
        Save(root, "leap-file", [leapFile, leapFile[^400..]]);
    }

    private static byte[] ClientRequest(byte version, NtpMode mode)
    {
        byte[] packet = new byte[NtpHeader.Length];
        new NtpHeader { Leap = LeapIndicator.Unsynchronized, Version = version, Mode = mode, Poll = 6, TransmitTime = FixedClock.Time }.Write(packet);
        return packet;
    }

    private static byte[] NtsRequest(byte[] cookie, int placeholders, Aead c2s) =>
        NtsRequest(cookie, placeholders, c2s, NtpTimestamp.Zero, NtpTimestamp.Zero, FixedClock.Time);

    /// <summary>An NTS request whose origin and receive fields are sealed with the rest, as an interleaved client sends them.</summary>
    private static byte[] NtsRequest(byte[] cookie, int placeholders, Aead c2s, NtpTimestamp origin, NtpTimestamp receive, NtpTimestamp transmit)
    {
        byte[] packet = new byte[1200];
        int length = NtsClientPacket.Write(packet, transmit, FuzzKeys.UniqueId, cookie, placeholders, c2s, new byte[c2s.NonceLength]);
        origin.Write(packet.AsSpan(24));
        receive.Write(packet.AsSpan(32));
        int authenticator = NtsRequestFields.Read(packet.AsSpan(NtpHeader.Length, length - NtpHeader.Length)).AuthenticatorStart;
        NtsAuthenticator.Write(
            packet.AsSpan(authenticator), c2s, new byte[c2s.NonceLength], packet.AsSpan(0, authenticator), [], NtsExtensionFieldType.MinimumNonceAndPadding);
        return packet[..length];
    }

    private static byte[] PlainRequest(NtpTimestamp origin, NtpTimestamp receive, NtpTimestamp transmit)
    {
        byte[] packet = new byte[NtpHeader.Length];
        new NtpHeader
        {
            Leap = LeapIndicator.Unsynchronized,
            Version = 4,
            Mode = NtpMode.Client,
            Poll = 6,
            OriginTime = origin,
            ReceiveTime = receive,
            TransmitTime = transmit,
        }.Write(packet);
        return packet;
    }

    /// <summary>One request from port 123 of the first client, in the responder targets' input form.</summary>
    private static byte[] Single(FuzzServer server, byte[] request) => ResponderExchanges.Encode(server, new FuzzExchange(0, 123, request));

    /// <summary>
    /// Interleaved mode's cases, each a basic request and what follows it: its interleaved follow-up, a replay of
    /// that (in a later batch and in the same one), a basic follow-up, a stale one, one from another client of the entry and one from a client of another,
    /// a follow-up carrying the kernel's stamp, one that overtakes a late stamp, one in the same batch, a kiss between
    /// two. Each is checked to get the replies it is meant to, so the fuzzer starts inside interleaved mode.
    /// </summary>
    private static IEnumerable<byte[]> InterleavedSequences(Responder responder, RequestWriter write)
    {
        NtpTimestamp t0 = FixedClock.Time, t1 = t0 + NtpDuration.FromSeconds(1), t2 = t0 + NtpDuration.FromSeconds(2);
        FuzzExchange First(List<byte[]> _) => new(0, 40000, write(NtpTimestamp.Zero, NtpTimestamp.Zero, t0));
        // chrony's xleave form: the origin is the previous reply's receive time, the receive field when that reply came.
        FuzzExchange FollowUp(byte[] previous, int source = 0) => new(source, 40000, write(NtpHeader.ReadReceiveTime(previous), t1, t2), Seconds: 1);
        FuzzExchange BasicFollowUp(byte[] previous) => new(0, 40000, write(NtpHeader.ReadTransmitTime(previous), t1, t2), Seconds: 1);
        const FuzzServer on = FuzzServer.Interleaved;

        yield return Sequence(responder, on, (First, false), (r => FollowUp(r[0]), true));
        yield return Sequence(responder, on, (First, false), (r => FollowUp(r[0]), true), (r => FollowUp(r[0]), false));
        yield return Sequence(responder, on, (First, false), (r => FollowUp(r[0]), true), (r => FollowUp(r[0]) with { SameBatch = true, Seconds = 0 }, false));
        yield return Sequence(responder, on, (First, false), (r => BasicFollowUp(r[0]), false));
        yield return Sequence(responder, on, (First, false), (r => First(r) with { Seconds = 1 }, false), (r => FollowUp(r[0]), false));
        yield return Sequence(responder, on, (r => First(r) with { Source = 2 }, false), (r => FollowUp(r[0], source: 4), false), (r => FollowUp(r[0], source: 3), true));
        yield return Sequence(responder, on, (r => First(r) with { Source = 0 }, false), (r => FollowUp(r[0], source: 1), false));
        yield return Sequence(responder, on, (r => First(r) with { Stamp = FuzzStamp.Now }, false), (r => FollowUp(r[0]), true));
        yield return Sequence(responder, on, (r => First(r) with { Stamp = FuzzStamp.Late }, false), (r => FollowUp(r[0]), true), (r => FollowUp(r[1]), true));
        yield return Sequence(responder, on, (First, false), (r => FollowUp(r[0]) with { SameBatch = true, Seconds = 0 }, false));
        yield return Sequence(responder, on | FuzzServer.RateLimit,
            (First, false), (r => FollowUp(r[0]) with { Seconds = 0 }, true), (r => FollowUp(r[1]) with { Seconds = 0 }, false), (r => FollowUp(r[1]), true));
        yield return Sequence(responder, FuzzServer.None, (First, false), (r => FollowUp(r[0]), false));
    }

    private delegate byte[] RequestWriter(NtpTimestamp origin, NtpTimestamp receive, NtpTimestamp transmit);

    /// <summary>
    /// Builds a responder input one exchange at a time, each made from the replies so far (the target is
    /// deterministic, so running the longer input repeats them), and checks which replies come back interleaved.
    /// </summary>
    private static byte[] Sequence(Responder responder, FuzzServer server, params (Func<List<byte[]>, FuzzExchange> Next, bool Interleaved)[] steps)
    {
        var exchanges = new List<FuzzExchange>();
        var replies = new List<byte[]>();
        foreach ((Func<List<byte[]>, FuzzExchange> next, bool interleaved) in steps)
        {
            exchanges.Add(next(replies));
            replies.Clear();
            ResponderExchanges.Run(responder, ResponderExchanges.Encode(server, [.. exchanges]), replies);
            byte[] request = exchanges[^1].Request, reply = replies[^1];
            // An interleaved reply's origin is the request's receive time; a basic one's its transmit time.
            bool got = reply.Length > 0 && NtpHeader.ReadOriginTime(reply) == NtpHeader.ReadReceiveTime(request);
            if (got != interleaved)
                throw new InvalidOperationException($"seed exchange {exchanges.Count} of {steps.Length}: interleaved {got}, meant {interleaved}");
        }

        return ResponderExchanges.Encode(server, [.. exchanges]);
    }

    private static byte[] Reply(Responder responder, byte[] request)
    {
        byte[] response = new byte[request.Length];
        var clock = new FixedClock();
        ResponderResult result = responder.Handle(request, new RequestInfo(FixedClock.Time, 40000), Fixtures.Snapshot, response, ref clock);
        return response[..result.Length];
    }

    private static byte[] Frame(byte[] payload, bool ipv6)
    {
        byte[] frame = new byte[UdpFrame.HeadersLength(ipv6) + payload.Length];
        byte[] source = ipv6 ? [.. new byte[15], 1] : [127, 0, 0, 1];
        var mac = MacAddress.Read([2, 0, 0, 0, 0, 1]);
        UdpFrameWriter.Write(frame, mac, mac, source, source, 40000, ProtocolConstants.NtpPort, payload);
        return frame;
    }

    private static void Save(string root, string target, IEnumerable<byte[]> inputs)
    {
        string directory = Path.Combine(root, target);
        Directory.CreateDirectory(directory);
        int index = 0;
        foreach (byte[] input in inputs) File.WriteAllBytes(Path.Combine(directory, $"seed-{index++:D2}"), input);
    }
}
