using System.Buffers.Binary;
using FastNtp.Interop.Clock;
using FastNtp.Interop.Time;
using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Leap;
using FastNtp.Server.Xdp;
using static FastNtp.Server.Tests.Xdp.XdpFixture;
using static FastNtp.Tests.Shared.TestPackets;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// The same requests through the C# <see cref="Responder"/> and through the XDP program (BPF_PROG_TEST_RUN), against
/// the same snapshot. A request the responder drops for a header rule the program drops too; one it answers at
/// 48 octets the program answers with the very frame the socket path would send (the responder's payload in
/// the reply frame), given the program's own receive and transmit times, which must lie between clock readings
/// taken around the run. Anything longer than the header the program leaves to the kernel, so the responder
/// itself decides it.
/// </summary>
[Collection(XdpCollection.Name)]
public sealed class XdpDifferentialTests(XdpFixture fixture)
{
    private const int RandomPackets = 100_000;

    private static readonly byte[] ClientV4 = [198, 51, 100, 7];
    private static readonly byte[] ClientV6 = IPAddress.Parse("2001:db8::77").GetAddressBytes();

    // Synchronized an hour ago, so dispersion growth shows in the reply.
    private static readonly ServerSnapshot Synchronized =
        TestPackets.Synchronized(LeapIndicator.InsertSecond, new RealtimeClock().Now() - NtpDuration.FromSeconds(3600));

    private readonly Responder _responder = new();
    private readonly byte[] _frame = new byte[2048];
    private readonly byte[] _output = new byte[2048];
    private readonly byte[] _expected = new byte[2048];
    private readonly byte[] _reply = new byte[2048];
    private long _answered;
    private long _passed;
    private readonly long[] _dropped = new long[DropReasons.Count];

    [Fact]
    public void EveryResponderRule_SameVerdictAndSameReply()
    {
        XdpCounterTotals before = fixture.Program.ReadCounters();
        foreach (ServerSnapshot snapshot in new[] { Synchronized, ServerSnapshot.Unsynchronized(-20) })
        {
            Publish(snapshot);
            foreach (bool ipv6 in new[] { false, true })
            {
                foreach (byte[] request in RuleRequests())
                {
                    foreach (ushort sourcePort in new ushort[] { ClientPort, ProtocolConstants.NtpPort })
                        Check(snapshot, request, ipv6, sourcePort);
                }
            }
        }

        AssertCounters(before);
        Assert.True(_answered > 0 && _passed > 0, "the rules must reach both the answer and the pass verdicts");
    }

    [Fact]
    public void RandomAndMutatedRequests_SameVerdictAndSameReply()
    {
        var random = new Random(20261129);
        XdpCounterTotals before = fixture.Program.ReadCounters();
        Publish(Synchronized);
        byte[] valid = ClientRequest(4);
        byte[] request = new byte[NtpHeader.Length + 64];
        for (int i = 0; i < RandomPackets; i++)
        {
            // Keep the heartbeat alive as the service does: the run outlasts the program's staleness limit.
            if (i % 1000 == 0) fixture.Program.State.Beat(SystemTai.Nanoseconds());
            int length;
            if (i % 2 == 0)
            {
                // Random octets, mostly around the header length where the rules change.
                length = random.Next(4) == 0 ? random.Next(request.Length + 1) : NtpHeader.Length + random.Next(-2, 3);
                random.NextBytes(request.AsSpan(0, length));
            }
            else
            {
                // A valid request with one to three octets changed, sometimes cut or extended.
                length = random.Next(8) == 0 ? random.Next(NtpHeader.Length - 4, NtpHeader.Length + 24) : NtpHeader.Length;
                valid.CopyTo(request, 0);
                request.AsSpan(NtpHeader.Length).Clear();
                for (int m = random.Next(1, 4); m > 0; m--) request[random.Next(length == 0 ? 1 : length)] ^= (byte)random.Next(1, 256);
            }

            Check(Synchronized, request.AsSpan(0, length).ToArray(), ipv6: (i & 2) != 0, i % 50 == 0 ? ProtocolConstants.NtpPort : ClientPort);
        }

        AssertCounters(before);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesTheProgramDoesNotFullyUnderstand_GoToTheKernel(bool ipv6)
    {
        Publish(Synchronized);
        byte[] request = ClientRequest(4);
        int l3 = EthernetHeader.Length;
        int udp = UdpFrame.HeadersLength(ipv6) - UdpHeader.Length;

        // Another port, another address, a group-addressed frame, a VLAN tag.
        Assert.Equal(XdpPass, Run(Build(request, ipv6, destinationPort: 124)));
        Assert.Equal(XdpPass, Run(Build(request, ipv6, destination: ipv6 ? IPAddress.Parse("ff02::101") : IPAddress.Parse("192.0.2.2"))));
        Assert.Equal(XdpPass, Run(Build(request, ipv6, destinationMac: MacAddress.Broadcast)));
        int length = Build(request, ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(12), 0x8100);
        Assert.Equal(XdpPass, Run(length));

        // A checksum that does not verify: the kernel discards it and counts it.
        length = Build(request, ipv6);
        _frame[udp + 6] ^= 0x55;
        Assert.Equal(XdpPass, Run(length));

        if (ipv6)
        {
            // An extension header (hop-by-hop) before UDP, and the checksum 0 that IPv6 forbids.
            length = Build(request, ipv6);
            _frame[l3 + 6] = 0;
            Assert.Equal(XdpPass, Run(length));
            length = Build(request, ipv6);
            _frame[udp + 6] = _frame[udp + 7] = 0;
            Assert.Equal(XdpPass, Run(length));
        }
        else
        {
            // IP options, a fragment, another protocol, a broadcast destination.
            length = Build(request, ipv6);
            _frame[l3] = 0x46;
            Assert.Equal(XdpPass, Run(length));
            length = Build(request, ipv6);
            _frame[l3 + 6] |= 0x20;
            Ipv4Header.WriteChecksum(_frame.AsSpan(l3));
            Assert.Equal(XdpPass, Run(length));
            length = Build(request, ipv6);
            _frame[l3 + 9] = 6;
            Ipv4Header.WriteChecksum(_frame.AsSpan(l3));
            Assert.Equal(XdpPass, Run(length));
            Assert.Equal(XdpPass, Run(Build(request, ipv6, destination: IPAddress.Broadcast)));

            // IPv4 allows a UDP checksum of 0 (none): answered, with a real checksum in the reply.
            length = Build(request, ipv6);
            _frame[udp + 6] = _frame[udp + 7] = 0;
            Assert.Equal(XdpTx, Run(length));
            Assert.Equal(FrameError.None, UdpFrame.TryParse(_output.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void StaleHeartbeat_LeavesRequestsToTheKernel()
    {
        long tai = SystemTai.Nanoseconds();
        fixture.Program.State.Publish(Synchronized, TaiOffset(), tai - (long)TimeSpan.FromSeconds(3).TotalNanoseconds);
        XdpCounterTotals before = fixture.Program.ReadCounters();
        Assert.Equal(XdpPass, Run(Build(ClientRequest(4), ipv6: false)));
        Assert.Equal(before.PassedStale + 1, fixture.Program.ReadCounters().PassedStale);

        fixture.Program.State.Beat(SystemTai.Nanoseconds());
        Assert.Equal(XdpTx, Run(Build(ClientRequest(4), ipv6: false)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeapWindow_LeavesRequestsToTheResponder(bool smear)
    {
        // The state the leap-second file gives an hour before a leap with a 24 h smear, and a second before an unsmeared one.
        using var files = new LeapSecondFiles();
        const long leapNtp = 4_007_750_400;
        Assert.True(LeapSecondList.TryParse(files.WithNextLeap(leapNtp, 38, leapNtp + 86_400 * 180), out LeapSecondList? list).IsValid);
        var plan = new LeapPlan(list!, smear ? NtpDuration.FromSeconds(86_400) : null);
        long unixNanoseconds = (leapNtp - NtpTimestamp.UnixEpochOffsetSeconds - (smear ? 3600 : 1)) * 1_000_000_000;
        ServerSnapshot nearLeap = plan.At(unixNanoseconds, false).ApplyTo(Synchronized);
        Assert.True(nearLeap.InLeapWindow);

        Publish(nearLeap);
        XdpCounterTotals before = fixture.Program.ReadCounters();
        Assert.Equal(XdpPass, Run(Build(ClientRequest(4), ipv6: false)));
        Assert.Equal(XdpPass, Run(Build(ClientRequest(4), ipv6: true)));
        Assert.Equal(before.PassedStale + 2, fixture.Program.ReadCounters().PassedStale);

        Publish(nearLeap with { InLeapWindow = false, Smear = null });
        Assert.Equal(XdpTx, Run(Build(ClientRequest(4), ipv6: false)));
    }

    private void Publish(ServerSnapshot snapshot) =>
        fixture.Program.State.Publish(snapshot, TaiOffset(), SystemTai.Nanoseconds());

    private static long TaiOffset() => KernelClock.Read().Tai * 1_000_000_000L;

    private void Check(ServerSnapshot snapshot, byte[] request, bool ipv6, ushort sourcePort)
    {
        int length = Build(request, ipv6, sourcePort: sourcePort);
        NtpTimestamp before = new RealtimeClock().Now();
        uint verdict = fixture.Program.Program.TestRun(_frame.AsSpan(0, length), _output, out int outputLength);
        NtpTimestamp after = new RealtimeClock().Now();

        // The responder sees the receive and transmit times the program took; the frame around its payload is
        // the reply frame the socket path's kernel would build.
        var receive = NtpTimestamp.Read(_output.AsSpan(UdpFrame.HeadersLength(ipv6) + 32));
        var clock = new FixedClock(NtpTimestamp.Read(_output.AsSpan(UdpFrame.HeadersLength(ipv6) + 40)));
        ResponderResult result = _responder.Handle(request, new RequestInfo(receive, sourcePort), snapshot, _reply, ref clock);

        string context = $"{(ipv6 ? "IPv6" : "IPv4")} from port {sourcePort}: {Convert.ToHexString(request)}";
        if (result.ShouldRespond && request.Length == NtpHeader.Length)
        {
            Assert.True(verdict == XdpTx, $"XDP gave {verdict}, the responder answers; {context}");
            Assert.True(receive.CompareTo(before) >= 0 && receive.CompareTo(after) <= 0,
                $"receive time {receive} outside [{before}, {after}]; {context}");
            Assert.True(clock.Time.CompareTo(receive) >= 0 && clock.Time.CompareTo(after) <= 0,
                $"transmit time {clock.Time} outside [{receive}, {after}]; {context}");
            _frame.AsSpan(0, length).CopyTo(_expected);
            _reply.AsSpan(0, result.Length).CopyTo(_expected.AsSpan(UdpFrame.HeadersLength(ipv6)));
            int expectedLength = UdpFrameWriter.TurnIntoReply(_expected, ipv6, result.Length);
            Assert.Equal(expectedLength, outputLength);
            if (!_expected.AsSpan(0, expectedLength).SequenceEqual(_output.AsSpan(0, outputLength)))
                Assert.Fail($"replies differ; {context}\n C#:  {Convert.ToHexString(_expected, 0, expectedLength)}\n XDP: {Convert.ToHexString(_output, 0, outputLength)}");
            _answered++;
        }
        else if (!result.ShouldRespond && request.Length <= NtpHeader.Length || IsHeaderRule(result.Reason))
        {
            Assert.True(verdict == XdpDrop, $"XDP gave {verdict}, the responder drops for {result.Reason}; {context}");
            _dropped[(int)result.Reason]++;
        }
        else
        {
            Assert.True(verdict == XdpPass, $"XDP gave {verdict} for a request longer than the header ({result.Reason}); {context}");
            _passed++;
        }
    }

    /// <summary>Reasons decided by the first octets alone, whatever follows the header.</summary>
    private static bool IsHeaderRule(DropReason reason) => reason is DropReason.UnsupportedVersion or DropReason.ReservedMode
        or DropReason.SymmetricMode or DropReason.ServerMode or DropReason.ControlMode or DropReason.PrivateMode;

    private void AssertCounters(XdpCounterTotals before)
    {
        XdpCounterTotals after = fixture.Program.ReadCounters();
        Assert.Equal(before.Answered + _answered, after.Answered);
        Assert.Equal(before.PassedExtensions + _passed, after.PassedExtensions);
        for (int i = 1; i < DropReasons.Count; i++)
        {
            var reason = (DropReason)i;
            Assert.Equal(before.Dropped.GetValueOrDefault(reason) + _dropped[i], after.Dropped.GetValueOrDefault(reason));
        }
    }

    private uint Run(int length) => fixture.Program.Program.TestRun(_frame.AsSpan(0, length), _output, out _);

    private int Build(byte[] payload, bool ipv6, ushort sourcePort = ClientPort, ushort destinationPort = XdpFixture.ServerPort,
        IPAddress? destination = null, MacAddress? destinationMac = null)
    {
        byte[] to = (destination ?? (ipv6 ? XdpFixture.ServerV6 : XdpFixture.ServerV4)).GetAddressBytes();
        return UdpFrameWriter.Write(_frame, ClientMac, destinationMac ?? ServerMac, ipv6 ? ClientV6 : ClientV4, to, sourcePort, destinationPort, payload);
    }

    /// <summary>Every version and mode the header can carry, at every length class the rules distinguish.</summary>
    private static IEnumerable<byte[]> RuleRequests()
    {
        for (byte version = 0; version < 8; version++)
        {
            for (byte mode = 0; mode < 8; mode++)
            {
                byte[] header = ClientRequest(version, (NtpMode)mode);
                foreach (int shortLength in new[] { 0, 1, 8, 47 }) yield return header[..shortLength];
                yield return header;
                yield return [.. header, 0];
                yield return [.. header, .. new byte[20]]; // a legacy MD5 MAC
                yield return [.. header, .. new byte[24]]; // a legacy SHA-1 MAC
                yield return [.. header, .. ExtensionField(0x0104, 32)]; // an NTS cookie field
                yield return [.. header, .. ExtensionField(0x0104, 32)[..30]]; // a field that overruns the packet
            }
        }
    }

    private static byte[] ExtensionField(ushort type, int valueLength)
    {
        byte[] field = new byte[ExtensionFieldWriter.FieldLength(valueLength)];
        ExtensionFieldWriter.Write(field, type, new byte[valueLength]);
        return field;
    }

}

[CollectionDefinition(Name)]
public sealed class XdpCollection : ICollectionFixture<XdpFixture>
{
    public const string Name = "XDP program";
}
