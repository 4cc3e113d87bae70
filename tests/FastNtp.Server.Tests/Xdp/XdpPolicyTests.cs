using System.Buffers.Binary;
using System.Diagnostics;
using FastNtp.Interop.Clock;
using FastNtp.Interop.Time;
using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Xdp;
using static FastNtp.Server.Tests.Xdp.XdpFixture;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// The client policy in the driver against <see cref="ClientPolicy"/>: the same request sequences, from the same
/// clients, through the XDP program (BPF_PROG_TEST_RUN) and through the C# policy followed by the
/// <see cref="Responder"/>. Both must reach the same verdict (answer, RATE, DENY, drop) for every request, send
/// byte-identical kisses and answers, and count the same. A request the responder never answers is dropped for
/// its own reason before the policy sees it, on both paths. Requests with extension fields (NTS among them), which
/// the program redirects to FastNtp's AF_XDP sockets, are judged before the redirect exactly as the AF_XDP path's
/// frame codec, <see cref="Responder.Inspect"/> and <see cref="ClientPolicy"/> would judge them. Intervals are long enough that no bucket refills
/// during a sequence, except in the test about refilling, whose waits are far from any boundary.
/// </summary>
[Collection(XdpCollection.Name)]
public sealed class XdpPolicyTests
{
    private const int RandomRequests = 4000;

    private static readonly string[] Allow = ["198.51.100.128/25", "2001:db8:bad:1::/64", "::ffff:203.0.113.0/120"];
    private static readonly string[] Deny = ["198.51.100.0/24", "2001:db8:bad::/48", "10.0.0.0/8"];

    /// <summary>Clients each rule reaches: denied, allowed by a longer prefix, IPv4-mapped, one /64 shared by two, unmatched.</summary>
    private static readonly IPAddress[] Clients =
    [
        IPAddress.Parse("198.51.100.7"),
        IPAddress.Parse("198.51.100.200"),
        IPAddress.Parse("203.0.113.9"),
        IPAddress.Parse("192.0.2.50"),
        IPAddress.Parse("10.1.2.3"),
        IPAddress.Parse("2001:db8:bad::1"),
        IPAddress.Parse("2001:db8:bad:1::5"),
        IPAddress.Parse("2001:db8:bad:1::6"),
        IPAddress.Parse("2001:db8:1::1"),
        IPAddress.Parse("::ffff:198.51.100.7"),
        IPAddress.Parse("::ffff:198.51.100.200"),
    ];

    private static readonly ServerSnapshot Synchronized =
        TestPackets.Synchronized(LeapIndicator.NoWarning, new RealtimeClock().Now() - NtpDuration.FromSeconds(60));

    private readonly Responder _responder = new();
    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(new byte[32], 1000, 7));
    private readonly byte[] _frame = new byte[2048];
    private readonly byte[] _output = new byte[2048];
    private readonly byte[] _expected = new byte[2048];
    private readonly byte[] _reply = new byte[2048];
    private readonly Tally _tally = new();

    public static TheoryData<string, bool, DenyAction, bool, double> Configurations => new()
    {
        // name, access lists, deny action, require NTS, KoD share
        { "deny-only list, kisses, rate limit", false, DenyAction.Kod, false, 0.3 },
        { "allow and deny lists, kisses, rate limit", true, DenyAction.Kod, false, 0.5 },
        { "allow and deny lists, drops, rate limit that never kisses", true, DenyAction.Drop, false, 0 },
        { "NTS required, kisses", false, DenyAction.Kod, true, 1 },
        { "NTS required, drops", false, DenyAction.Drop, true, 0.1 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RandomSequences_SameVerdictsKissesAndCounts(string name, bool allowList, DenyAction denyAction, bool requireNts, double kodShare)
    {
        foreach (bool rateLimit in new[] { false, true })
        {
            ClientPolicyOptions options = SequenceOptions(rateLimit, denyAction, requireNts, kodShare);
            string[] allow = allowList ? Allow : [];
            _tally.Reset();
            using XdpProgram program = Load(options, allow, Deny);
            ClientPolicy policy = Policy(options, allow, Deny);
            var random = new Random(name.Length * 31 + (rateLimit ? 1 : 0));
            for (int i = 0; i < RandomRequests; i++)
            {
                if (i % 1000 == 0) program.State.Beat(SystemTai.Nanoseconds());
                IPAddress client = Clients[random.Next(Clients.Length)];
                // Mostly client requests at every version; now and then a mode the responder never answers.
                NtpMode mode = random.Next(10) == 0 ? (NtpMode)random.Next(8) : NtpMode.Client;
                byte[] request = Request((byte)random.Next(1, 5), mode, poll: (sbyte)random.Next(-2, 20), transmit: (ulong)random.NextInt64());
                Check(program, policy, client, request, $"{name}, rate limit {rateLimit}, request {i}");
            }

            AssertCounters(program);
            Assert.True(_tally.Answered > 0 || requireNts, "some requests must be answered");
        }
    }

    /// <summary>The random sequences' options: an interval long enough that no bucket refills during one.</summary>
    private static ClientPolicyOptions SequenceOptions(bool rateLimit, DenyAction denyAction, bool requireNts, double kodShare) => new()
    {
        RateLimitEnabled = rateLimit,
        Interval = TimeSpan.FromHours(1),
        Burst = 5,
        KodShare = kodShare,
        DenyAction = denyAction,
        RequireNts = requireNts,
        Ipv6Prefix = 64,
    };

    [Fact]
    public void RateLimit_CyclesKissesAndSharesIpv6PrefixesAsClientPolicyDoes()
    {
        var options = new ClientPolicyOptions
        {
            RateLimitEnabled = true,
            Interval = TimeSpan.FromSeconds(100),
            Burst = 3,
            KodShare = 0.25,
            Ipv6Prefix = 56,
        };
        using XdpProgram program = Load(options, [], []);
        ClientPolicy policy = Policy(options, [], []);
        // Two addresses in one /56 share a bucket; a third outside it has its own.
        IPAddress[] clients = [IPAddress.Parse("2001:db8:0:12::1"), IPAddress.Parse("2001:db8:0:34::2"), IPAddress.Parse("2001:db8:1::1"), IPAddress.Parse("192.0.2.99")];
        for (int i = 0; i < 40; i++)
            Check(program, policy, clients[i % clients.Length], Request(4, NtpMode.Client, poll: 4, transmit: 0x1234_5678_9ABC_DEF0UL + (ulong)i), $"request {i}");

        AssertCounters(program);
        // Burst 3 each: the shared /56 bucket lets 3 of its 20 through, the others 3 of 10; the rest are over.
        Assert.Equal(9, _tally.Answered);
        Assert.True(_tally.RateKiss > 0 && _tally.RateDrop > _tally.RateKiss, $"{_tally.RateKiss} kisses, {_tally.RateDrop} drops");
    }

    [Fact]
    public void RateLimit_RefillsTheBucketWithTimeAsClientPolicyDoes()
    {
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Interval = TimeSpan.FromMilliseconds(100), Burst = 2, KodShare = 1 };
        using XdpProgram program = Load(options, [], []);
        ClientPolicy policy = Policy(options, [], []);
        var client = IPAddress.Parse("192.0.2.44");
        for (int round = 0; round < 3; round++)
        {
            // Back to back: two tokens, then RATE kisses; 350 ms later (3.5 intervals) the bucket is full again.
            for (int i = 0; i < 4; i++) Check(program, policy, client, Request(3, NtpMode.Client, poll: 0, transmit: (ulong)(round * 10 + i + 1)), $"round {round}, request {i}");
            Thread.Sleep(350);
            program.State.Beat(SystemTai.Nanoseconds());
        }

        AssertCounters(program);
        Assert.Equal(6, _tally.Answered);
        Assert.Equal(6, _tally.RateKiss);
    }

    [Fact]
    public void Kisses_AskForThePollOfTheIntervalAndNeverLessThanTheClients()
    {
        var options = new ClientPolicyOptions { Interval = TimeSpan.FromSeconds(5), DenyAction = DenyAction.Kod };
        using XdpProgram program = Load(options, [], ["192.0.2.0/24"]);
        ClientPolicy policy = Policy(options, [], ["192.0.2.0/24"]);
        foreach (sbyte poll in new sbyte[] { -6, 0, 2, 3, 4, 17, 127 })
            Check(program, policy, IPAddress.Parse("192.0.2.9"), Request(4, NtpMode.Client, poll, transmit: 0xFFFF_FFFF_0000_0001UL), $"poll {poll}");
        AssertCounters(program);
        Assert.Equal(7, _tally.DenyKiss);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ExtensionFieldRequests_JudgedBeforeTheRedirectAsTheAfXdpPathWouldJudgeThem(
        string name, bool allowList, DenyAction denyAction, bool requireNts, double kodShare)
    {
        foreach ((bool rateLimit, bool nts) in new[] { (false, true), (true, true), (true, false) })
        {
            ClientPolicyOptions options = SequenceOptions(rateLimit, denyAction, requireNts, kodShare);
            string[] allow = allowList ? Allow : [];
            _tally.Reset();
            using var ntsResponder = new NtsResponder(_store);
            Responder responder = nts ? new Responder(ntsResponder) : new Responder();
            using XdpProgram program = Load(options, allow, Deny, nts);
            ClientPolicy policy = Policy(options, allow, Deny);
            var random = new Random(name.Length * 17 + (rateLimit ? 1 : 0) + (nts ? 2 : 0));
            for (int i = 0; i < RandomRequests; i++)
            {
                IPAddress client = Clients[random.Next(Clients.Length)];
                CheckRedirected(program, policy, responder, client, FieldsRequest(random), corrupt: random.Next(20) == 0,
                    $"{name}, rate limit {rateLimit}, NTS {nts}, request {i}");
            }

            AssertCounters(program);
            Assert.Equal(_tally.Redirected, program.ReadCounters().PassedExtensions);
            Assert.True(_tally.Redirected > 0, "some requests must reach FastNtp");
        }
    }

    [Fact]
    public void RefusedNtsRequests_AreDroppedBeforeTheRedirectAndNeverKissed()
    {
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Interval = TimeSpan.FromHours(1), Burst = 2, KodShare = 1, DenyAction = DenyAction.Kod };
        using XdpProgram program = Load(options, [], ["192.0.2.0/24"], nts: true);
        using var ntsResponder = new NtsResponder(_store);
        var responder = new Responder(ntsResponder);
        ClientPolicy policy = Policy(options, [], ["192.0.2.0/24"]);
        byte[] request = NtsShapedRequest();
        for (int i = 0; i < 4; i++)
        {
            CheckRedirected(program, policy, responder, IPAddress.Parse("198.51.100.1"), request, corrupt: false, $"allowed client, request {i}");
            CheckRedirected(program, policy, responder, IPAddress.Parse("192.0.2.1"), request, corrupt: false, $"denied client, request {i}");
        }

        AssertCounters(program);
        // Two within the burst, two over it, and every one from the denied client: drops, no kiss for NTS.
        Assert.Equal(2, _tally.Redirected);
        Assert.Equal(2, _tally.RateDrop);
        Assert.Equal(4, _tally.DenyDrop);
        Assert.Equal(0, program.ReadCounters().KodSent);
    }

    /// <summary>A request with a unique identifier, a cookie, a placeholder and an authenticator field, unsealed: the policy reads only the layout.</summary>
    private static byte[] NtsShapedRequest()
    {
        byte[] request = new byte[NtpHeader.Length + 36 + 104 + 104 + 36];
        new NtpHeader { Version = 4, Mode = NtpMode.Client, TransmitTime = new NtpTimestamp(0x0102_0304_0506_0708UL) }.Write(request);
        int offset = NtpHeader.Length;
        offset += ExtensionFieldWriter.Write(request.AsSpan(offset), NtsExtensionFieldType.UniqueIdentifier, new byte[32]);
        offset += ExtensionFieldWriter.Write(request.AsSpan(offset), NtsExtensionFieldType.Cookie, new byte[100]);
        offset += ExtensionFieldWriter.Write(request.AsSpan(offset), NtsExtensionFieldType.CookiePlaceholder, new byte[100]);
        ExtensionFieldWriter.Write(request.AsSpan(offset), NtsExtensionFieldType.Authenticator, new byte[32]);
        return request;
    }

    /// <summary>
    /// A random request with extension fields: NTS field types and others, at lengths the reader accepts and
    /// now and then ones it refuses (under 16, not a multiple of 4, past the end), a legacy MAC or stray octets
    /// after them, an earlier version, or more than the longest request answered.
    /// </summary>
    private static byte[] FieldsRequest(Random random)
    {
        ushort[] types = [NtsExtensionFieldType.UniqueIdentifier, NtsExtensionFieldType.Cookie, NtsExtensionFieldType.CookiePlaceholder,
            NtsExtensionFieldType.Authenticator, 0x0002, 0x2005];
        var fields = new List<byte>();
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(10) == 0 ? random.Next(0, 80) : 16 + 4 * random.Next(0, 30);
            byte[] field = new byte[Math.Max(4, length)];
            random.NextBytes(field);
            BinaryPrimitives.WriteUInt16BigEndian(field, types[random.Next(types.Length)]);
            BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), (ushort)length);
            fields.AddRange(field);
        }

        if (random.Next(12) == 0)
        {
            // Well-formed fields, but past the longest request answered.
            int length = (ProtocolConstants.MaxRequestLength - NtpHeader.Length - fields.Count + 4 + 3) & ~3;
            byte[] field = new byte[length];
            BinaryPrimitives.WriteUInt16BigEndian(field, 0x2005);
            BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), (ushort)length);
            fields.AddRange(field);
        }

        int tail = random.Next(12) switch { 0 => 20, 1 => 24, 2 => random.Next(1, 16), _ => 0 };
        byte[] request = new byte[NtpHeader.Length + fields.Count + tail];
        random.NextBytes(request.AsSpan(NtpHeader.Length + fields.Count));
        byte version = random.Next(10) == 0 ? (byte)random.Next(1, 4) : (byte)4;
        new NtpHeader { Version = version, Mode = NtpMode.Client, Poll = (sbyte)random.Next(0, 10), TransmitTime = new NtpTimestamp((ulong)random.NextInt64()) }.Write(request);
        fields.CopyTo(request, NtpHeader.Length);
        return request;
    }

    /// <summary>
    /// One request with extension fields through the program and through the AF_XDP path's own order: the frame
    /// codec, <see cref="Responder.Inspect"/>, then the policy. What those checks refuse and what the policy allows
    /// is redirected (XDP_PASS here, with no AF_XDP socket to take it); the policy's kisses are sent from the
    /// driver, one 48-octet header, exactly as the C# path writes them; its drops are dropped.
    /// </summary>
    private void CheckRedirected(XdpProgram program, ClientPolicy policy, Responder responder, IPAddress client, byte[] request, bool corrupt, string context)
    {
        bool ipv6 = client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int length = UdpFrameWriter.Write(_frame, ClientMac, ServerMac, client.GetAddressBytes(), (ipv6 ? ServerV6 : ServerV4).GetAddressBytes(),
            ClientPort, XdpFixture.ServerPort, request);
        int headers = UdpFrame.HeadersLength(ipv6);
        if (corrupt) _frame[headers + NtpHeader.Length - 1] ^= 0x40;
        long now = MonotonicNanoseconds();
        uint verdict = program.Program.TestRun(_frame.AsSpan(0, length), _output, out int outputLength);
        context = $"{context}: {client} sent {Convert.ToHexString(request)}";

        NtsRequestFields nts = default;
        bool judged = UdpFrame.TryParse(_frame.AsSpan(0, length), out _) == FrameError.None &&
            request.Length <= ProtocolConstants.MaxRequestLength &&
            responder.Inspect(request, ClientPort, out nts) == DropReason.None;
        PolicyDecision decision = judged ? policy.Decide(ClientAddress.FromIPAddress(client), nts.HasCookie, now) : PolicyDecision.Allow;
        if (decision == PolicyDecision.Allow)
        {
            Assert.True(verdict == XdpPass, $"XDP gave {verdict}, the AF_XDP path would answer or drop it itself; {context}");
            _tally.Redirected++;
            return;
        }

        _tally.Count(decision);
        if (!decision.IsKiss())
        {
            Assert.True(verdict == XdpDrop, $"XDP gave {verdict}, the policy says {decision}; {context}");
            return;
        }

        Assert.True(verdict == XdpTx, $"XDP gave {verdict}, the policy says {decision}; {context}");
        _frame.AsSpan(0, length).CopyTo(_expected);
        int payload = policy.WriteKiss(decision, request, _expected.AsSpan(headers));
        int expectedLength = UdpFrameWriter.TurnIntoReply(_expected, ipv6, payload);
        Assert.Equal(expectedLength, outputLength);
        if (!_expected.AsSpan(0, expectedLength).SequenceEqual(_output.AsSpan(0, outputLength)))
            Assert.Fail($"kisses differ ({decision}); {context}\n C#:  {Convert.ToHexString(_expected, 0, expectedLength)}\n XDP: {Convert.ToHexString(_output, 0, outputLength)}");
    }

    private static XdpProgram Load(ClientPolicyOptions options, string[] allow, string[] deny, bool nts = false)
    {
        var program = XdpProgram.Load(
            [new IPEndPoint(ServerV4, XdpFixture.ServerPort), new IPEndPoint(IPAddress.IPv6Any, XdpFixture.ServerPort)],
            TimeSpan.FromSeconds(2), new XdpPolicy(options, allow, deny, nts));
        program.State.Publish(Synchronized, KernelClock.Read().Tai * 1_000_000_000L, SystemTai.Nanoseconds());
        return program;
    }

    private static ClientPolicy Policy(ClientPolicyOptions options, string[] allow, string[] deny)
    {
        Assert.True(AccessList.TryCreate(allow, deny, out AccessList list, out IReadOnlyList<string> errors), string.Join("; ", errors));
        return new ClientPolicy(options, list, seed: 7);
    }

    private void Check(XdpProgram program, ClientPolicy policy, IPAddress client, byte[] request, string context)
    {
        bool ipv6 = client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int length = UdpFrameWriter.Write(_frame, ClientMac, ServerMac, client.GetAddressBytes(), (ipv6 ? ServerV6 : ServerV4).GetAddressBytes(),
            ClientPort, XdpFixture.ServerPort, request);
        int headers = UdpFrame.HeadersLength(ipv6);
        long now = MonotonicNanoseconds();
        uint verdict = program.Program.TestRun(_frame.AsSpan(0, length), _output, out int outputLength);
        context = $"{context}: {client} sent {Convert.ToHexString(request)}";

        // The responder's own rules first: what it never answers, the policy never sees.
        var probe = new FixedClock(NtpTimestamp.FromParts(1, 0));
        ResponderResult result = _responder.Handle(request, new RequestInfo(probe.Time, ClientPort), Synchronized, _reply, ref probe);
        if (!result.ShouldRespond)
        {
            Assert.True(verdict == XdpDrop, $"XDP gave {verdict}, the responder drops for {result.Reason}; {context}");
            _tally.Dropped++;
            return;
        }

        PolicyDecision decision = policy.Decide(ClientAddress.FromIPAddress(client), nts: false, now);
        _frame.AsSpan(0, length).CopyTo(_expected);
        int payload;
        if (decision == PolicyDecision.Allow)
        {
            Assert.True(verdict == XdpTx, $"XDP gave {verdict}, the policy allows; {context}");
            var receive = NtpTimestamp.Read(_output.AsSpan(headers + 32));
            var clock = new FixedClock(NtpTimestamp.Read(_output.AsSpan(headers + 40)));
            payload = _responder.Handle(request, new RequestInfo(receive, ClientPort), Synchronized, _expected.AsSpan(headers), ref clock).Length;
            _tally.Answered++;
        }
        else if (decision.IsKiss())
        {
            Assert.True(verdict == XdpTx, $"XDP gave {verdict}, the policy says {decision}; {context}");
            payload = policy.WriteKiss(decision, request, _expected.AsSpan(headers));
            _tally.Count(decision);
        }
        else
        {
            Assert.True(verdict == XdpDrop, $"XDP gave {verdict}, the policy says {decision}; {context}");
            _tally.Count(decision);
            return;
        }

        int expectedLength = UdpFrameWriter.TurnIntoReply(_expected, ipv6, payload);
        Assert.Equal(expectedLength, outputLength);
        if (!_expected.AsSpan(0, expectedLength).SequenceEqual(_output.AsSpan(0, outputLength)))
            Assert.Fail($"replies differ ({decision}); {context}\n C#:  {Convert.ToHexString(_expected, 0, expectedLength)}\n XDP: {Convert.ToHexString(_output, 0, outputLength)}");
    }

    private void AssertCounters(XdpProgram program)
    {
        XdpCounterTotals c = program.ReadCounters();
        Assert.Equal(_tally.Answered, c.Answered);
        Assert.Equal(_tally.Dropped, c.TotalDropped);
        Assert.Equal(_tally.DenyKiss + _tally.DenyDrop, c.Denied);
        Assert.Equal(_tally.NtsKiss + _tally.NtsDrop, c.NtsRequired);
        Assert.Equal(_tally.RateKiss, c.RateLimitedKiss);
        Assert.Equal(_tally.RateDrop, c.RateLimitedDrop);
        Assert.Equal(_tally.RateKiss + _tally.DenyKiss + _tally.NtsKiss, c.KodSent);
    }

    /// <summary>CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns and of the socket engine's rate limit.</summary>
    private static long MonotonicNanoseconds()
    {
        Assert.Equal(1_000_000_000L, Stopwatch.Frequency);
        return Stopwatch.GetTimestamp();
    }

    private static byte[] Request(byte version, NtpMode mode, sbyte poll, ulong transmit)
    {
        byte[] request = new byte[NtpHeader.Length];
        new NtpHeader
        {
            Leap = LeapIndicator.Unsynchronized,
            Version = version,
            Mode = mode,
            Poll = poll,
            TransmitTime = new NtpTimestamp(transmit),
        }.Write(request);
        return request;
    }

    private sealed class Tally
    {
        public long Answered, Dropped, RateKiss, RateDrop, DenyKiss, DenyDrop, NtsKiss, NtsDrop, Redirected;

        public void Count(PolicyDecision decision)
        {
            switch (decision)
            {
                case PolicyDecision.RateLimitedKiss: RateKiss++; break;
                case PolicyDecision.RateLimitedDrop: RateDrop++; break;
                case PolicyDecision.DeniedKiss: DenyKiss++; break;
                case PolicyDecision.DeniedDrop: DenyDrop++; break;
                case PolicyDecision.NtsRequiredKiss: NtsKiss++; break;
                case PolicyDecision.NtsRequiredDrop: NtsDrop++; break;
                default: throw new ArgumentOutOfRangeException(nameof(decision), decision, null);
            }
        }

        public void Reset() => Answered = Dropped = RateKiss = RateDrop = DenyKiss = DenyDrop = NtsKiss = NtsDrop = Redirected = 0;
    }
}
