using System.Buffers.Binary;
using FastNtp.Interop.Sockets;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

public class ZeroAllocationTests
{
    private const int Batch = 64;

    [Fact]
    public void Worker_Answers100000RequestsWithoutAllocating()
    {
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: true, "127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];
        BatchWorker<RealtimeClock> worker = engine.Workers[0];

        using var sender = new BatchClient(server);
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

    /// <summary>Sends requests in batches of 64 and waits for each batch's replies, so no queue overflows.</summary>
    private sealed class BatchClient : IDisposable
    {
        private readonly UdpBatchSocket _socket;
        private readonly PacketBatch _send = new(Batch);
        private readonly PacketBatch _receive = new(Batch);
        private ulong _sequence;

        public BatchClient(IPEndPoint server)
        {
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
                    BinaryPrimitives.WriteUInt64BigEndian(_send.GetBuffer(i)[40..], ++_sequence);
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
                        ulong origin = BinaryPrimitives.ReadUInt64BigEndian(reply[24..]);
                        if (reply.Length == NtpHeader.Length && (reply[0] & 7) == (int)NtpMode.Server &&
                            origin >= first && origin <= _sequence)
                        {
                            answered++;
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
