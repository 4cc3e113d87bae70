using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Engine;
using FastNtp.Server.Metrics;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class PacketStepTests
{
    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(0xEC00_0000, 0);

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
        step.Answer(request, new RequestInfo(ReceiveTime, 50_000), Snapshot, reply, ref clock);

    [Fact]
    public void ClientRequest_IsAnsweredAndCounted()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), counters);
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
        var step = new PacketStep(new Responder(), counters);
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
        var step = new PacketStep(new Responder(), counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];

        Assert.Equal(0, Answer(step, ClientRequest(1), reply, new ThrowingClock()));
        Assert.Equal(NtpHeader.Length, Answer(step, ClientRequest(2), reply, new FixedClock()));
        Assert.Equal((2L, 1L, 1L), (counters.Received, counters.Answered, counters.Faults));
    }

    [Fact]
    public void WhatTheResponderRefuses_IsCountedByReason()
    {
        var counters = new WorkerCounters();
        var step = new PacketStep(new Responder(), counters);
        byte[] reply = new byte[ProtocolConstants.MaxRequestLength];
        Assert.Equal(0, Answer(step, new byte[10], reply, new FixedClock()));
        Assert.Equal(1, counters.Dropped[(int)DropReason.TooShort]);
    }

    [Fact]
    public void Step_AllocatesNothing()
    {
        var step = new PacketStep(new Responder(), new WorkerCounters());
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
}
