using FastNtp.Interop.Sockets;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;
using FastNtp.Server.Timestamping;

namespace FastNtp.Server.Engine;

/// <summary>
/// One receive-answer-send loop over one socket, run by one thread: recvmmsg a batch, run the
/// <see cref="PacketStep"/> on each datagram, sendmmsg the replies. Everything it touches per packet was
/// allocated before the loop started: two pinned batches (requests, replies), the step, its counters.
/// With interleaved mode on (its client table keeps reply times) it also records each reply sent in its
/// client's entry and turns on kernel transmit stamps, read after every send (<see cref="TransmitStamps"/>).
/// </summary>
internal sealed class BatchWorker<TClock> where TClock : struct, IClock
{
    private readonly UdpBatchSocket _socket;
    private readonly PacketBatch _requests;
    private readonly PacketBatch _replies;
    private readonly PacketStep _step;
    /// <summary>Per reply slot of the batch: what kind of reply, and whose.</summary>
    private readonly ReplyNote[] _notes;
    /// <summary>Per reply slot: the kernel took it (interleaved mode only).</summary>
    private readonly bool[] _sent;
    private readonly ClientTable? _replyTimes;
    private readonly TransmitStamps? _stamps;
    /// <summary>Server:HwTimestamp's PHC lines; null when no interface stamps in hardware.</summary>
    private readonly HardwareClocks? _hardware;
    /// <summary>Per reply slot: the interface whose NIC stamped its request (0: none), where its own stamp is taken.</summary>
    private readonly int[] _stampingInterfaces;
    private readonly SnapshotPublisher _snapshots;
    private readonly WorkerCounters _counters;
    private readonly bool _trackAllocations;
    private TClock _clock;
    private volatile bool _stopping;
    private long _allocatedBytes = -1;

    public BatchWorker(
        UdpBatchSocket socket, int batchSize, Responder responder, ClientPolicy? policy, SnapshotPublisher snapshots,
        WorkerCounters counters, TClock clock, bool trackAllocations, HardwareClocks? hardware = null)
    {
        _socket = socket;
        _requests = new PacketBatch(batchSize, PacketStep.ReceiveBufferLength);
        _replies = new PacketBatch(batchSize, ProtocolConstants.MaxRequestLength);
        _step = new PacketStep(responder, policy, counters);
        _notes = new ReplyNote[batchSize];
        _sent = new bool[batchSize];
        if (policy?.Table is { KeepsReplyTimes: true } table)
        {
            _replyTimes = table;
            socket.EnableTransmitTimestamps();
            _stamps = new TransmitStamps(socket, table, counters);
        }

        _stampingInterfaces = new int[batchSize];
        if (hardware is { Any: true })
        {
            _hardware = hardware;
            socket.EnableHardwareTimestamps(transmit: _stamps is not null);
            _stamps?.UseHardwareStamps(hardware);
        }

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
                _stamps?.Drain(_snapshots.Current);
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
            if (KernelStamp.TryRead(_requests, i, _hardware, 0, out long kernelNanoseconds, out _stampingInterfaces[replies]))
            {
                receiveTime = NtpTimestamp.FromUnixNanoseconds(kernelNanoseconds);
            }
            else
            {
                // No kernel timestamp (a socket without SO_TIMESTAMPING): one clock reading serves the whole batch.
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
                out _notes[replies]);
            if (length == 0) continue;

            _replies.PrepareReply(replies, _requests, i, length);
            replies++;
        }

        if (replies == 0) return;

        NtpTimestamp sendTime = RestampPlainReplies(replies, snapshot);
        if (_replyTimes is null)
        {
            _socket.SendAll(_replies, replies, out int failed, out _);
            _counters.SendErrors += failed;
            return;
        }

        _socket.SendAll(_replies, replies, out int refused, out _, _sent);
        _counters.SendErrors += refused;
        RecordReplies(replies, sendTime, snapshot, refused > 0);
    }

    /// <summary>
    /// Moves the transmit time of unauthenticated 48-byte basic replies to just before the send, so the earlier
    /// replies of a batch do not carry the time they were built. Longer replies (NTS) are sealed over their
    /// transmit time and keep the responder's stamp; kisses echo the client's time and carry none of ours;
    /// interleaved replies carry the previous reply's. Returns the time read (served), zero when none was.
    /// </summary>
    private NtpTimestamp RestampPlainReplies(int replies, ServerSnapshot snapshot)
    {
        NtpTimestamp transmitTime = default;
        for (int j = 0; j < replies; j++)
        {
            ReplyNote note = _notes[j];
            bool plain = _replies.GetSendLength(j) == NtpHeader.Length && !note.IsKiss && !note.Interleaved;
            // An interleaved reply (of either kind) needs the time it leaves as its own transmit time.
            if (!plain && !note.Interleaved) continue;
            if (transmitTime.IsZero) transmitTime = snapshot.ServedTime(_clock.Now());
            if (plain) NtpHeader.WriteTransmitTime(_replies.GetBuffer(j), transmitTime);
        }

        return transmitTime;
    }

    /// <summary>
    /// Interleaved mode: records each reply the kernel took in its client's entry (receive time as written;
    /// transmit time as written, or for an interleaved reply the time it was sent), gives it its key for the
    /// kernel's transmit stamp, and takes in the stamps queued.
    /// </summary>
    private void RecordReplies(int replies, NtpTimestamp sendTime, ServerSnapshot snapshot, bool anyRefused)
    {
        for (int j = 0; j < replies; j++)
        {
            if (!_sent[j]) continue;
            ReplyNote note = _notes[j];
            if (!note.Tracked)
            {
                _stamps!.SentUntracked();
                continue;
            }

            ReadOnlySpan<byte> reply = _replies.GetBuffer(j);
            NtpTimestamp receive = NtpHeader.ReadReceiveTime(reply);
            NtpTimestamp written = note.Interleaved ? sendTime : NtpHeader.ReadTransmitTime(reply);
            _replyTimes!.RecordReply(note.TableIndex, note.Client, receive, written);
            _stamps!.Sent(note.TableIndex, note.Client, receive, written, _stampingInterfaces[j]);
        }

        if (anyRefused) _stamps!.Restart(snapshot);
        else _stamps!.Drain(snapshot);
    }

    public void DisposeBuffers()
    {
        _requests.Dispose();
        _replies.Dispose();
        _stamps?.Dispose();
    }
}
