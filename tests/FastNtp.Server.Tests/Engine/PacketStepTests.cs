using FastNtp.Protocol;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class PacketStepTests
{
    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(0xEC00_0000, 0);
    private static readonly byte[] Client = [192, 0, 2, 1];

    private struct FixedClock : IClock
    {
        public readonly NtpTimestamp Now() => NtpTimestamp.FromParts(0xEC00_0001, 0);
    }

    private struct ThrowingClock : IClock
    {
        public readonly NtpTimestamp Now() => throw new InvalidOperationException("simulated responder bug");
    }

    private readonly WorkerCounters _counters = new();
    private readonly byte[] _reply = new byte[ProtocolConstants.MaxRequestLength];

    /// <summary>A step over a fresh responder, with <paramref name="policy"/> if any, counting into <see cref="_counters"/>.</summary>
    private PacketStep Step(ClientPolicy? policy = null) => new(new Responder(), policy, _counters);

    /// <summary>Answers one request into <see cref="_reply"/>; <paramref name="kiss"/> tells a kiss-o'-death.</summary>
    private int Answer<TClock>(PacketStep step, ReadOnlySpan<byte> request, TClock clock, out bool kiss)
        where TClock : struct, IClock
    {
        int length = step.Answer(request, new RequestInfo(ReceiveTime, 50_000), Client, 0, Snapshot, _reply, ref clock, out ReplyNote note);
        kiss = note.IsKiss;
        return length;
    }

    private int Answer<TClock>(PacketStep step, ReadOnlySpan<byte> request, TClock clock)
        where TClock : struct, IClock => Answer(step, request, clock, out _);

    private int Answer(PacketStep step, ReadOnlySpan<byte> request, out bool kiss) => Answer(step, request, new FixedClock(), out kiss);

    [Fact]
    public void ClientRequest_IsAnsweredAndCounted()
    {
        PacketStep step = Step();

        int length = Answer(step, ClientRequest(42), new FixedClock());

        Assert.Equal(NtpHeader.Length, length);
        Assert.True(NtpHeader.TryRead(_reply.AsSpan(0, length), out NtpHeader header));
        Assert.Equal(42UL, header.OriginTime.Value);
        Assert.Equal(ReceiveTime, header.ReceiveTime);
        Assert.Equal((1L, 1L, 0L), (_counters.Received, _counters.Answered, _counters.Faults));
    }

    [Fact]
    public void DatagramLongerThanTheLimit_IsAnOversizeDropAndNeverReachesTheResponder()
    {
        PacketStep step = Step();
        byte[] request = new byte[PacketStep.ReceiveBufferLength];
        ClientRequest(1).CopyTo(request, 0);

        // The throwing clock proves the responder never ran: it would have counted a fault.
        Assert.Equal(0, Answer(step, request, new ThrowingClock()));
        Assert.Equal(1, _counters.Dropped[(int)DropReason.Oversize]);
        Assert.Equal((1L, 0L, 0L, 0L), (_counters.Received, _counters.Answered, _counters.Faults, _counters.ReceiveErrors));

        // Exactly the limit reaches the responder (which refuses these zero bytes as extension fields).
        Answer(step, request.AsSpan(0, ProtocolConstants.MaxRequestLength), new FixedClock());
        Assert.Equal(1, _counters.Dropped[(int)DropReason.Oversize]);
        Assert.Equal(1, _counters.Dropped[(int)DropReason.MalformedExtensionFields]);
    }

    [Fact]
    public void ResponderFault_LosesOnlyThatPacket()
    {
        PacketStep step = Step();

        Assert.Equal(0, Answer(step, ClientRequest(1), new ThrowingClock()));
        Assert.Equal(NtpHeader.Length, Answer(step, ClientRequest(2), new FixedClock()));
        Assert.Equal((2L, 1L, 1L), (_counters.Received, _counters.Answered, _counters.Faults));
    }

    [Fact]
    public void WhatTheResponderRefuses_IsCountedByReason()
    {
        PacketStep step = Step();
        Assert.Equal(0, Answer(step, new byte[10], new FixedClock()));
        Assert.Equal(1, _counters.Dropped[(int)DropReason.TooShort]);
    }

    [Fact]
    public void Step_AllocatesNothing()
    {
        PacketStep step = Step();
        byte[] request = ClientRequest(7);
        byte[] oversize = new byte[PacketStep.ReceiveBufferLength];
        for (int i = 0; i < 1000; i++) Answer(step, request, new FixedClock());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Answer(step, request, new FixedClock());
            Answer(step, oversize, new FixedClock());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static ClientPolicy Policy(ClientPolicyOptions options, string[]? deny = null)
    {
        Assert.True(AccessList.TryCreate([], deny ?? [], out AccessList access, out _));
        return new ClientPolicy(options, access, seed: 1);
    }

    [Fact]
    public void DeniedClient_GetsADenyKissCountedAsDeniedNotAnswered()
    {
        PacketStep step = Step(Policy(new ClientPolicyOptions { DenyAction = DenyAction.Kod }, ["192.0.2.0/24"]));
        byte[] request = ClientRequest(0x1234_5678_9ABC_DEF0);

        int length = Answer(step, request, out bool kiss);

        Assert.True(kiss);
        Assert.Equal(NtpHeader.Length, length);
        Assert.True(NtpHeader.TryRead(_reply.AsSpan(0, length), out NtpHeader header));
        Assert.Equal((0, ReferenceId.Deny, NtpMode.Server), (header.Stratum, header.ReferenceId, header.Mode));
        Assert.Equal(0x1234_5678_9ABC_DEF0UL, header.OriginTime.Value);
        Assert.Equal((1L, 0L), (_counters.Received, _counters.Answered));
        Assert.Equal(1, _counters.Refused[(int)PolicyCounter.Denied]);
    }

    [Fact]
    public void DeniedClientWithDrop_GetsNothing()
    {
        PacketStep step = Step(Policy(new ClientPolicyOptions(), ["192.0.2.1"]));
        Assert.Equal(0, Answer(step, ClientRequest(1), out bool kiss));
        Assert.False(kiss);
        Assert.Equal(1, _counters.Refused[(int)PolicyCounter.Denied]);
    }

    [Fact]
    public void TrafficThatIsNoClientRequest_NeverReachesThePolicy()
    {
        ClientPolicy policy = Policy(
            new ClientPolicyOptions { RateLimitEnabled = true, DenyAction = DenyAction.Kod, Entries = 64 }, ["192.0.2.0/24"]);
        PacketStep step = Step(policy);
        byte[] control = ClientRequest(1);
        control[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 2, NtpMode.Control);

        Assert.Equal(0, Answer(step, control, out _));
        Assert.Equal(1, _counters.Dropped[(int)DropReason.ControlMode]);
        Assert.Equal(0, _counters.Refused[(int)PolicyCounter.Denied]);
        Assert.Equal(0, policy.Table!.CopyTop(new ClientLogEntry[4]));
    }

    [Fact]
    public void PlainClientOverTheRateLimit_GetsRateKissesAndDrops()
    {
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Burst = 4, Interval = TimeSpan.FromHours(1), KodShare = 0.5, Entries = 64 };
        PacketStep step = Step(Policy(options));
        int answered = 0, kisses = 0;
        for (int i = 0; i < 14; i++)
        {
            int length = Answer(step, ClientRequest((ulong)i + 1), out bool kiss);
            if (kiss)
            {
                kisses++;
                Assert.True(NtpHeader.TryRead(_reply.AsSpan(0, length), out NtpHeader header));
                Assert.Equal((0, ReferenceId.Rate), (header.Stratum, header.ReferenceId));
                Assert.Equal((ulong)i + 1, header.OriginTime.Value);
                // The kiss asks for at least the limit's interval (one hour: 2^12 s).
                Assert.Equal(12, header.Poll);
            }
            else if (length > 0)
            {
                answered++;
            }
        }

        // 4 within the burst; of the 10 over it, 1 + floor(9 * 0.5) = 5 kissed.
        Assert.Equal((4, 5), (answered, kisses));
        Assert.Equal((4L, 5L, 5L), (_counters.Answered, _counters.Refused[(int)PolicyCounter.RateLimitedKiss], _counters.Refused[(int)PolicyCounter.RateLimitedDrop]));
    }

    [Fact]
    public void StepWithRateLimitAndAccessList_AllocatesNothing()
    {
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Burst = 8, Interval = TimeSpan.FromSeconds(1), DenyAction = DenyAction.Kod, Entries = 64 };
        PacketStep step = Step(Policy(options, ["10.0.0.0/8", "2001:db8::/32"]));
        byte[] request = ClientRequest(7);
        for (int i = 0; i < 1000; i++) Answer(step, request, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Answer(step, request, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
