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
        Save(root, "responder", [.. plainRequests.Select(WithPort), .. ntsRequests.Select(WithPort)]);
        Save(root, "nts-responder", [.. ntsRequests.Select(WithPort), WithPort(plain)]);
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

    private static byte[] NtsRequest(byte[] cookie, int placeholders, Aead c2s)
    {
        byte[] packet = new byte[1200];
        int length = NtsClientPacket.Write(packet, FixedClock.Time, FuzzKeys.UniqueId, cookie, placeholders, c2s, new byte[c2s.NonceLength]);
        return packet[..length];
    }

    /// <summary>The responder targets read a source port (123 here) before the datagram.</summary>
    private static byte[] WithPort(byte[] request) => [0, 123, .. request];

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
