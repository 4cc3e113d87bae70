using FastNtp.Interop.Sockets;
using FastNtp.Protocol;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class BatchWorkerTests
{
    /// <summary>A clock that advances one second per reading, so each reading is identifiable.</summary>
    private struct SteppingClock : IClock
    {
        public static readonly NtpTimestamp Start = NtpTimestamp.FromParts(0xEC00_0000, 0);
        private uint _readings;

        public NtpTimestamp Now() => NtpTimestamp.FromParts(Start.Seconds + _readings++, 0);
    }

    /// <summary>Stands in for a bug: its first reading throws, later ones work.</summary>
    private struct FaultyOnceClock : IClock
    {
        private static int _readings;

        public static void Reset() => _readings = 0;

        public readonly NtpTimestamp Now() =>
            Interlocked.Increment(ref _readings) == 1
                ? throw new InvalidOperationException("simulated responder bug")
                : NtpTimestamp.FromParts(0xEC00_0000, 0);
    }

    /// <summary>A socket on 127.0.0.1 whose receive times out every 200 ms, so a worker on it sees a stop soon.</summary>
    private static UdpBatchSocket LoopbackSocket()
    {
        var socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        socket.SetReceiveTimeout(TimeSpan.FromMilliseconds(200));
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static BatchWorker<TClock> NewWorker<TClock>(UdpBatchSocket socket, WorkerCounters counters, ServerSnapshot? snapshot = null)
        where TClock : struct, IClock =>
        new(socket, 8, new Responder(), null, new SnapshotPublisher(snapshot ?? Snapshot), counters, default, trackAllocations: false);

    [Fact]
    public void ThrowingBatch_IsCountedAsAFaultAndTheWorkerKeepsServing()
    {
        FaultyOnceClock.Reset();
        using UdpBatchSocket socket = LoopbackSocket();
        var counters = new WorkerCounters();
        BatchWorker<FaultyOnceClock> worker = NewWorker<FaultyOnceClock>(socket, counters);
        Exception? escaped = null;
        var thread = new Thread(() =>
        {
            try
            {
                worker.Run();
            }
            catch (InvalidOperationException e)
            {
                // Recorded rather than left to kill the test host; the assertion below fails on it.
                escaped = e;
            }
        });
        thread.Start();
        try
        {
            using UdpClient client = NewClient(AddressFamily.InterNetwork);
            // The first request meets the fault; the worker must still be there for the second.
            client.Send(ClientRequest(1), socket.LocalEndPoint);
            SpinWait.SpinUntil(() => Volatile.Read(ref counters.Faults) > 0 || !thread.IsAlive, TimeSpan.FromSeconds(10));
            client.Send(ClientRequest(2), socket.LocalEndPoint);
            byte[] reply = Receive(client, out _);
            Assert.True(NtpHeader.TryRead(reply, out NtpHeader header));
            Assert.Equal(2UL, header.OriginTime.Value);
        }
        finally
        {
            worker.RequestStop();
            Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
            worker.DisposeBuffers();
        }

        Assert.Null(escaped);
        Assert.Equal(1, counters.Faults);
        Assert.Equal(1, counters.Answered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NoKernelTimestamps_ReadsReceiveTimeOncePerBatchAndStampsTransmitLast(bool smeared)
    {
        // Three hours before a leap smeared over 24 h: the late transmit stamp is smeared like every other.
        var smear = new Protocol.Leap.LeapSmear(SteppingClock.Start + NtpDuration.FromSeconds(3 * 3600), 1, NtpDuration.FromSeconds(86_400), false);
        ServerSnapshot snapshot = smeared ? Snapshot with { Smear = smear, InLeapWindow = true } : Snapshot;
        // A socket without SO_TIMESTAMPNS: the worker must fall back to its clock.
        using UdpBatchSocket socket = LoopbackSocket();
        var counters = new WorkerCounters();
        BatchWorker<SteppingClock> worker = NewWorker<SteppingClock>(socket, counters, snapshot);
        var thread = new Thread(worker.Run);
        thread.Start();
        try
        {
            using UdpClient client = NewClient(AddressFamily.InterNetwork);
            client.Send(ClientRequest(77), socket.LocalEndPoint);
            byte[] reply = Receive(client, out _);
            Assert.True(NtpHeader.TryRead(reply, out NtpHeader header));
            Assert.Equal(77UL, header.OriginTime.Value);
            // Reading 0: the batch's receive time. Reading 1: the responder's stamp. Reading 2: the restamp before sending.
            Assert.Equal(snapshot.ServedTime(SteppingClock.Start), header.ReceiveTime);
            Assert.Equal(snapshot.ServedTime(NtpTimestamp.FromParts(SteppingClock.Start.Seconds + 2, 0)), header.TransmitTime);
            Assert.Equal(smeared, header.ReceiveTime != SteppingClock.Start);
        }
        finally
        {
            worker.RequestStop();
            Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
            worker.DisposeBuffers();
        }

        Assert.Equal(1, counters.Answered);
        Assert.Equal(1, counters.Batches);
    }
}
