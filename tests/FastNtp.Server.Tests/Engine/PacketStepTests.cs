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

    private static int Answer<TClock>(PacketStep step, ReadOnlySpan<byte> request, Span<byte> reply, TClock clock)
        where TClock : struct, IClock =>
        step.Answer(request, new RequestInfo(ReceiveTime, 50_000), Client, 0, Snapshot, reply, ref clock, out _);

    [Fact]
    public void ClientRequest_IsAnsweredAndCounted()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), null, counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        int length = Answer(step, ClientRequest(42), reply, new FixedClock());

        Assert.Equal(NtpHeader.Length, length);
        Assert.True(NtpHeader.TryRead(reply.AsSpan(0, length), out NtpHeader header));
        Assert.Equal(42UL, header.OriginTime.Value);
        Assert.Equal(ReceiveTime, header.ReceiveTime);
        Assert.Equal((1L, 1L, 0L), (counters.Received, counters.Answered, counters.Faults));
    }

    [Fact]
    public void DatagramLongerThanTheLimit_IsAnOversizeDropAndNeverReachesTheResponder()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), null, counters);
        byte[] request = new byte[PacketStep.ReceiveBufferLength];
        ClientRequest(1).CopyTo(request, 0);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        // The throwing clock proves the responder never ran: it would have counted a fault.
        Assert.Equal(0, Answer(step, request, reply, new ThrowingClock()));
        Assert.Equal(1, counters.Dropped[(int)DropReason.Oversize]);
        Assert.Equal((1L, 0L, 0L, 0L), (counters.Received, counters.Answered, counters.Faults, counters.ReceiveErrors));

        // Exactly the limit reaches the responder (which refuses these zero bytes as extension fields).
        Answer(step, request.AsSpan(0, ProtocolConstants.MaxRequestLength), reply, new FixedClock());
        Assert.Equal(1, counters.Dropped[(int)DropReason.Oversize]);
        Assert.Equal(1, counters.Dropped[(int)DropReason.MalformedExtensionFields]);
    }

    [Fact]
    public void ResponderFault_LosesOnlyThatPacket()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), null, counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        Assert.Equal(0, Answer(step, ClientRequest(1), reply, new ThrowingClock()));
        Assert.Equal(NtpHeader.Length, Answer(step, ClientRequest(2), reply, new FixedClock()));
        Assert.Equal((2L, 1L, 1L), (counters.Received, counters.Answered, counters.Faults));
    }

    [Fact]
    public void WhatTheResponderRefuses_IsCountedByReason()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), null, counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        Assert.Equal(0, Answer(step, new byte[10], reply, new FixedClock()));
        Assert.Equal(1, counters.Dropped[(int)DropReason.TooShort]);
    }

    [Fact]
    public void Step_AllocatesNothing()
    {
        var step = new PacketStep(new Responder(), null, new WorkerCounters());
        byte[] request = ClientRequest(7);
        byte[] oversize = new byte[PacketStep.ReceiveBufferLength];
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        for (int i = 0; i < 1000; i++) Answer(step, request, reply, new FixedClock());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Answer(step, request, reply, new FixedClock());
            Answer(step, oversize, reply, new FixedClock());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static ClientPolicy Policy(ClientPolicyOptions options, string[]? deny = null)
    {
        Assert.True(AccessList.TryCreate([], deny ?? [], out AccessList access, out _));
        return new ClientPolicy(options, access, seed: 1);
    }

    private static int Answer(PacketStep step, ReadOnlySpan<byte> request, Span<byte> reply, out bool kiss)
    {
        var clock = new FixedClock();
        return step.Answer(request, new RequestInfo(ReceiveTime, 50_000), Client, 0, Snapshot, reply, ref clock, out kiss);
    }

    [Fact]
    public void DeniedClient_GetsADenyKissCountedAsDeniedNotAnswered()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), Policy(new ClientPolicyOptions { DenyAction = DenyAction.Kod }, ["192.0.2.0/24"]), counters);
        byte[] request = ClientRequest(0x1234_5678_9ABC_DEF0);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        int length = Answer(step, request, reply, out bool kiss);

        Assert.True(kiss);
        Assert.Equal(NtpHeader.Length, length);
        Assert.True(NtpHeader.TryRead(reply.AsSpan(0, length), out NtpHeader header));
        Assert.Equal((0, ReferenceId.Deny, NtpMode.Server), (header.Stratum, header.ReferenceId, header.Mode));
        Assert.Equal(0x1234_5678_9ABC_DEF0UL, header.OriginTime.Value);
        Assert.Equal((1L, 0L), (counters.Received, counters.Answered));
        Assert.Equal(1, counters.Refused[(int)PolicyCounter.Denied]);
    }

    [Fact]
    public void DeniedClientWithDrop_GetsNothing()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), Policy(new ClientPolicyOptions(), ["192.0.2.1"]), counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        Assert.Equal(0, Answer(step, ClientRequest(1), reply, out bool kiss));
        Assert.False(kiss);
        Assert.Equal(1, counters.Refused[(int)PolicyCounter.Denied]);
    }

    [Fact]
    public void TrafficThatIsNoClientRequest_NeverReachesThePolicy()
    {
        var counters = new WorkerCounters();
        ClientPolicy policy = Policy(
            new ClientPolicyOptions { RateLimitEnabled = true, DenyAction = DenyAction.Kod, Entries = 64 }, ["192.0.2.0/24"]);
        var step = new PacketStep(new Responder(), policy, counters);
        byte[] control = ClientRequest(1);
        control[0] = NtpHeader.FirstByte(LeapIndicator.NoWarning, 2, NtpMode.Control);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        Assert.Equal(0, Answer(step, control, reply, out _));
        Assert.Equal(1, counters.Dropped[(int)DropReason.ControlMode]);
        Assert.Equal(0, counters.Refused[(int)PolicyCounter.Denied]);
        Assert.Equal(0, policy.Table!.CopyTop(new ClientLogEntry[4]));
    }

    [Fact]
    public void PlainClientOverTheRateLimit_GetsRateKissesAndDrops()
    {
        var counters = new WorkerCounters();
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Burst = 4, Interval = TimeSpan.FromHours(1), KodShare = 0.5, Entries = 64 };
        var step = new PacketStep(new Responder(), Policy(options), counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        int answered = 0, kisses = 0;
        for (int i = 0; i < 14; i++)
        {
            int length = Answer(step, ClientRequest((ulong)i + 1), reply, out bool kiss);
            if (kiss)
            {
                kisses++;
                Assert.True(NtpHeader.TryRead(reply.AsSpan(0, length), out NtpHeader header));
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
        Assert.Equal((4L, 5L, 5L), (counters.Answered, counters.Refused[(int)PolicyCounter.RateLimitedKiss], counters.Refused[(int)PolicyCounter.RateLimitedDrop]));
    }

    [Fact]
    public void StepWithRateLimitAndAccessList_AllocatesNothing()
    {
        var options = new ClientPolicyOptions { RateLimitEnabled = true, Burst = 8, Interval = TimeSpan.FromSeconds(1), DenyAction = DenyAction.Kod, Entries = 64 };
        var step = new PacketStep(new Responder(), Policy(options, ["10.0.0.0/8", "2001:db8::/32"]), new WorkerCounters());
        byte[] request = ClientRequest(7);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        for (int i = 0; i < 1000; i++) Answer(step, request, reply, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Answer(step, request, reply, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
