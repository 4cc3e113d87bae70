using System.Buffers.Binary;
using FastNtp.Interop.Bpf;
using FastNtp.Interop.Sockets;
using FastNtp.Server.Timestamping;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class ZeroAllocationTests
{
    private const int Batch = 64;

    [Fact]
    public void Worker_Answers100000RequestsWithoutAllocating()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: true, "127.0.0.1:0");
        AssertAnswersWithoutAllocating(engine, interleaved: false);
    }

    /// <summary>Interleaved mode on: reply times recorded, kernel transmit stamps read, interleaved replies written.</summary>
    [Fact]
    public void WorkerInInterleavedMode_Answers100000RequestsWithoutAllocating()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: true, InterleavedEngineTests.Interleaved(), "127.0.0.1:0");
        AssertAnswersWithoutAllocating(engine, interleaved: true);

        Metrics.CounterTotals totals = Totals(engine).Totals;
        // One client: its entry keeps only its latest reply, so one reply per batch gets its kernel stamp and the
        // next batch's first request an interleaved answer.
        Assert.True(totals.Interleaved > 1500, $"only {totals.Interleaved} interleaved replies");
        Assert.True(totals.TransmitStamps > 1500, $"only {totals.TransmitStamps} transmit stamps matched");
    }

    /// <summary>
    /// Server:HwTimestamp on as well: the sockets ask for NIC stamps and every stamp goes through the PHC lookup.
    /// Loopback's NIC stamps nothing (no PHC on this machine), so the software stamps are what the path returns.
    /// </summary>
    [Fact]
    public void WorkerWithHardwareTimestamps_Answers100000RequestsWithoutAllocating()
    {
        var hardware = new HardwareClocks([(NetworkInterfaces.IndexOf("lo"), 0)], 1);
        hardware.Publish(0, new PhcConversion(0, 0, 1.0));
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: true, InterleavedEngineTests.Interleaved(), hardware, "127.0.0.1:0");
        AssertAnswersWithoutAllocating(engine, interleaved: true);

        Assert.True(Totals(engine).Totals.TransmitStamps > 1500, "software transmit stamps still arrive with the NIC's asked for");
    }

    private static void AssertAnswersWithoutAllocating(LinuxBatchEngine engine, bool interleaved)
    {
        IPEndPoint server = engine.BoundEndpoints[0];
        BatchWorker<RealtimeClock> worker = engine.Workers[0];

        using var sender = new BatchClient(server, interleaved);
        // Warm-up: tiering, lazy statics and first-touch of every code path the steady state uses.
        sender.PushRequests(20_000);
        // One more round so the worker has recorded its allocation count after the warm-up's last batch.
        sender.PushRequests(Batch);
        long allocatedBefore = worker.AllocatedBytes;
        long receivedBefore = worker.Counters.Received;
        Assert.True(allocatedBefore >= 0, "the worker has not recorded its allocations");

        int answered = sender.PushRequests(100_000);
        sender.PushRequests(Batch);
        long allocatedAfter = worker.AllocatedBytes;
        long receivedAfter = worker.Counters.Received;

        Assert.True(answered >= 100_000, $"only {answered} of 100000 requests were answered");
        Assert.True(receivedAfter - receivedBefore >= 100_000, $"the worker received {receivedAfter - receivedBefore}");
        Assert.Equal(0, allocatedAfter - allocatedBefore);
        Assert.Equal(0, worker.Counters.SendErrors);
    }

    /// <summary>
    /// Sends requests in batches of 64 and waits for each batch's replies, so no queue overflows. Interleaved, it
    /// forms requests as chrony's client does in interleaved mode: origin = the receive time of the last reply,
    /// receive = a marked copy of the transmit time; the first of each batch is then answered interleaved.
    /// </summary>
    private sealed class BatchClient : IDisposable
    {
        private const ulong InterleavedMark = 1UL << 63;

        private readonly UdpBatchSocket _socket;
        private readonly PacketBatch _send = new(Batch);
        private readonly PacketBatch _receive = new(Batch);
        private readonly bool _interleaved;
        private ulong _sequence;
        private ulong _lastReceive;

        public BatchClient(IPEndPoint server, bool interleaved)
        {
            _interleaved = interleaved;
            _socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
            _socket.SetReceiveTimeout(ReplyTimeout);
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            for (int i = 0; i < Batch; i++)
            {
                _send.SetRemoteEndPoint(i, server);
                _send.SetLength(i, NtpHeader.Length);
                ClientRequest(0).CopyTo(_send.GetBuffer(i));
            }
        }

        /// <summary>Returns how many valid replies came back; gives up on a round after one receive timeout.</summary>
        public int PushRequests(int count)
        {
            int answered = 0;
            for (int sent = 0; sent < count; sent += Batch)
            {
                ulong first = _sequence + 1;
                for (int i = 0; i < Batch; i++)
                {
                    Span<byte> request = _send.GetBuffer(i);
                    BinaryPrimitives.WriteUInt64BigEndian(request[40..], ++_sequence);
                    if (!_interleaved) continue;
                    BinaryPrimitives.WriteUInt64BigEndian(request[24..], _lastReceive);
                    BinaryPrimitives.WriteUInt64BigEndian(request[32..], _sequence | InterleavedMark);
                }

                Assert.Equal(Batch, _socket.SendAll(_send, Batch, out int failed, out Errno error));
                Assert.True(failed == 0, $"send failed: {error}");

                int got = 0;
                while (got < Batch)
                {
                    int n = _socket.Receive(_receive, Batch, ReceiveWait.WaitForOne, out error);
                    if (n < 0 && error == Errno.EINTR) continue;
                    if (n <= 0) break;
                    for (int i = 0; i < n; i++)
                    {
                        ReadOnlySpan<byte> reply = _receive.GetReceived(i);
                        ulong origin = BinaryPrimitives.ReadUInt64BigEndian(reply[24..]) & ~InterleavedMark;
                        if (reply.Length == NtpHeader.Length && (reply[0] & 7) == (int)NtpMode.Server &&
                            origin >= first && origin <= _sequence)
                        {
                            answered++;
                            _lastReceive = BinaryPrimitives.ReadUInt64BigEndian(reply[32..]);
                        }
                    }

                    got += n;
                }
            }

            return answered;
        }

        public void Dispose()
        {
            _socket.Dispose();
            _send.Dispose();
            _receive.Dispose();
        }
    }
}
