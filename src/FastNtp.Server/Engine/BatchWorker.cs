using FastNtp.Interop.Sockets;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Engine;

/// <summary>
/// One receive-answer-send loop over one socket, run by one thread: recvmmsg a batch, run the
/// <see cref="PacketStep"/> on each datagram, sendmmsg the replies. Everything it touches per packet was
/// allocated before the loop started: two pinned batches (requests, replies), the step, its counters.
/// </summary>
internal sealed class BatchWorker<TClock> where TClock : struct, IClock
{
    private readonly UdpBatchSocket _socket;
    private readonly PacketBatch _requests;
    private readonly PacketBatch _replies;
    private readonly PacketStep _step;
    /// <summary>Per reply slot of the batch: a kiss, whose timestamps stay as written.</summary>
    private readonly bool[] _kisses;
    private readonly SnapshotPublisher _snapshots;
    private readonly WorkerCounters _counters;
    private readonly bool _trackAllocations;
    private TClock _clock;
    private volatile bool _stopping;
    private long _allocatedBytes = -1;

    public BatchWorker(
        UdpBatchSocket socket, int batchSize, Responder responder, ClientPolicy? policy, SnapshotPublisher snapshots,
        WorkerCounters counters, TClock clock, bool trackAllocations)
    {
        _socket = socket;
        _requests = new PacketBatch(batchSize, PacketStep.ReceiveBufferLength);
        _replies = new PacketBatch(batchSize, ProtocolConstants.MaxRequestLength);
        _step = new PacketStep(responder, policy, counters);
        _kisses = new bool[batchSize];
        _snapshots = snapshots;
        _counters = counters;
        _clock = clock;
        _trackAllocations = trackAllocations;
    }

    public WorkerCounters Counters => _counters;

    public ClientPolicy? Policy => _step.Policy;

    /// <summary>
    /// Bytes this worker's thread had allocated after its latest batch (GC.GetAllocatedBytesForCurrentThread),
    /// or -1 before the first; only kept when allocation tracking was asked for (tests).
    /// </summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public void RequestStop()
    {
        _stopping = true;
        _socket.ShutdownReceive();
    }

    public void Run()
    {
        int capacity = _requests.Capacity;
        while (!_stopping)
        {
            _counters.Loops++;
            int received = _socket.Receive(_requests, capacity, ReceiveWait.WaitForOne, out Errno error);
            // A stop wakes the receive with empty end-of-file entries; they are not requests.
            if (_stopping) break;
            if (received <= 0)
            {
                // EAGAIN is the receive timeout of an idle socket, EINTR a signal; neither is a fault.
                if (received < 0 && error is not (Errno.EAGAIN or Errno.EINTR)) _counters.ReceiveErrors++;
                continue;
            }

            try
            {
                ProcessBatch(received);
            }
            catch (Exception)
            {
                // A bug in the send path, not a network condition: a dead worker would leave its SO_REUSEPORT
                // socket bound with nobody reading it, silently losing that socket's share of clients.
                _counters.Faults++;
            }

            if (_trackAllocations) Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    /// <summary>Answers the <paramref name="received"/> datagrams now in the request batch.</summary>
    internal void ProcessBatch(int received)
    {
        _counters.Batches++;

        // One snapshot per batch: every reply in it describes the same server state.
        ServerSnapshot snapshot = _snapshots.Current;
        long now = MonotonicTime.Nanoseconds();
        NtpTimestamp fallbackReceiveTime = default;
        bool haveFallback = false;
        int replies = 0;

        for (int i = 0; i < received; i++)
        {
            NtpTimestamp receiveTime;
            if (_requests.TryGetReceiveTimestamp(i, out long kernelNanoseconds))
            {
                receiveTime = NtpTimestamp.FromUnixNanoseconds(kernelNanoseconds);
            }
            else
            {
                // No kernel timestamp (a socket without SO_TIMESTAMPNS): one clock reading serves the whole batch.
                if (!haveFallback)
                {
                    fallbackReceiveTime = _clock.Now();
                    haveFallback = true;
                }

                receiveTime = fallbackReceiveTime;
            }

            var info = new RequestInfo(receiveTime, _requests.GetRemotePort(i));
            int length = _step.Answer(
                _requests.GetReceived(i), info, _requests.GetRemoteAddress(i), now, snapshot, _replies.GetBuffer(replies), ref _clock,
                out bool kiss);
            if (length == 0) continue;

            _replies.PrepareReply(replies, _requests, i, length);
            _kisses[replies] = kiss;
            replies++;
        }

        if (replies == 0) return;

        RestampPlainReplies(replies, snapshot);
        _socket.SendAll(_replies, replies, out int failed, out _);
        _counters.SendErrors += failed;
    }

    /// <summary>
    /// Moves the transmit time of unauthenticated 48-byte replies to just before the send, so the earlier
    /// replies of a batch do not carry the time they were built. Longer replies (NTS) are sealed over their
    /// transmit time and keep the responder's stamp; kisses echo the client's time and carry none of ours.
    /// </summary>
    private void RestampPlainReplies(int replies, ServerSnapshot snapshot)
    {
        NtpTimestamp transmitTime = default;
        bool stamped = false;
        for (int j = 0; j < replies; j++)
        {
            if (_replies.GetSendLength(j) != NtpHeader.Length || _kisses[j]) continue;
            if (!stamped)
            {
                transmitTime = snapshot.ServedTime(_clock.Now());
                stamped = true;
            }

            NtpHeader.WriteTransmitTime(_replies.GetBuffer(j), transmitTime);
        }
    }

    public void DisposeBuffers()
    {
        _requests.Dispose();
        _replies.Dispose();
    }
}
