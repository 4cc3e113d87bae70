using FastNtp.Interop.Xsk;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Engine;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Xdp;

/// <summary>
/// One AF_XDP socket's loop, run by one thread: take a batch of received frames from the RX ring, answer each
/// in place (frame codec around the same <see cref="PacketStep"/> the socket engine runs on the UDP payload),
/// queue the replies on the TX ring, and give frames back to the fill ring as the kernel finishes with them.
/// A frame is always in exactly one place: the fill ring, the kernel, RX, this loop, TX or the completion ring.
/// Nothing is allocated per packet; system calls happen only when RX is empty (a poll, which also sends what TX
/// holds) or when <see cref="KickThreshold"/> replies wait on a TX ring that asks for a wake-up.
/// </summary>
internal sealed class AfXdpWorker<TClock> where TClock : struct, IClock
{
    public const int BatchSize = 64;
    /// <summary>
    /// Replies queued on TX before a busy worker wakes the kernel to send them. Each wake-up costs a system call and,
    /// in copy mode, schedules the peer's receive side; under load two RX batches share one. An idle worker's poll
    /// sends at once, so replies wait only under load, for at most this many answers' work. Small enough for a
    /// veth peer's 256-frame receive ring to take a whole wake-up.
    /// </summary>
    public const int KickThreshold = 2 * BatchSize;
    /// <summary>How long an idle worker sleeps in poll before it looks at its stop flag again.</summary>
    private const int IdlePollMilliseconds = 100;
    /// <summary>How long a stopping worker waits for the kernel to finish sending its last replies.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    private readonly XskSocket _socket;
    private readonly AfXdpFrameStep<TClock> _step;
    private readonly SnapshotPublisher _snapshots;
    private readonly XdpStateWriter _state;
    private readonly bool _trackAllocations;
    private readonly ulong[] _recycle = new ulong[BatchSize];
    private readonly XdpDescriptor[] _send = new XdpDescriptor[BatchSize];
    private readonly TClock _clock;
    private volatile bool _stopping;
    private long _allocatedBytes = -1;
    /// <summary>Frames on the TX ring or in the kernel's transmit path, not yet back through the completion ring.</summary>
    private long _transmitting;
    /// <summary>Replies on the TX ring queued since the latest wake-up.</summary>
    private int _unkicked;
    private readonly int _kickThreshold;

    /// <param name="state">The program's state map: its TAI−UTC offset converts the receive times the program stamps.</param>
    public AfXdpWorker(
        XskSocket socket, Responder responder, SnapshotPublisher snapshots, XdpStateWriter state, WorkerCounters counters, TClock clock, bool trackAllocations)
    {
        _socket = socket;
        // No client policy here: the XDP program applies it before the redirect, from one table for every queue
        // (NIC queues hash the four-tuple, so per-queue tables would not be exact).
        _step = new AfXdpFrameStep<TClock>(new PacketStep(responder, null, counters), clock);
        _snapshots = snapshots;
        _state = state;
        _clock = clock;
        _trackAllocations = trackAllocations;
        // A wake-up sends at most the socket's budget: kicking later would leave the rest for the next one.
        _kickThreshold = Math.Min(KickThreshold, socket.TransmitBudget);
        GiveAllFramesToTheKernel();
    }

    public WorkerCounters Counters => _step.Counters;

    public AfXdpCounters Frames => _step.Frames;

    /// <summary>Frames the kernel had not returned when <see cref="Run"/> ended.</summary>
    public long UnreturnedFrames => Volatile.Read(ref _transmitting);

    /// <summary>Bytes this worker's thread had allocated after its latest batch, or -1 before the first; kept only for tests.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public void RequestStop() => _stopping = true;

    public void Run()
    {
        while (!_stopping)
        {
            Counters.Loops++;
            Reclaim();
            uint received = _socket.Rx.Peek(BatchSize, out uint first);
            if (received == 0)
            {
                // Also the wake-up the fill ring and TX ask for: it sends every reply still queued.
                _unkicked = 0;
                _socket.WaitForReceive(IdlePollMilliseconds);
                continue;
            }

            ProcessBatch(first, received);
            if (_trackAllocations) Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
        }

        Drain();
    }

    /// <summary>Before the loop starts every frame goes to the fill ring, which holds as many entries as there are frames.</summary>
    private void GiveAllFramesToTheKernel()
    {
        uint count = _socket.Fill.Reserve((uint)_socket.FrameCount, out uint index);
        for (uint i = 0; i < count; i++) _socket.Fill.Address(index + i) = XskSocket.FrameAddress((int)i);
        _socket.Fill.Submit(count);
    }

    /// <summary>Answers the <paramref name="count"/> frames at RX index <paramref name="first"/> and hands every one of them on.</summary>
    private void ProcessBatch(uint first, uint count)
    {
        Counters.Batches++;
        ServerSnapshot snapshot = _snapshots.Current;
        // Each frame carries the receive time the program stamped; this reading serves the frames without one.
        NtpTimestamp pickedUp = _clock.Now();
        long taiOffset = _state.TaiOffsetNanoseconds;
        int sends = 0, recycles = 0;
        for (uint i = 0; i < count; i++)
        {
            XdpDescriptor received = _socket.Rx.Descriptor(first + i);
            int length;
            try
            {
                length = _step.AnswerFrame(
                    _socket.Frame(received.Address, (int)received.Length), _socket.InFront(received.Address, AfXdpReceiveTime.MetadataLength),
                    taiOffset, pickedUp, snapshot);
            }
            catch (Exception)
            {
                // A bug, not a network condition: the frame goes back unanswered and the worker carries on.
                Counters.Faults++;
                length = 0;
            }

            if (length > 0) _send[sends++] = new XdpDescriptor { Address = received.Address, Length = (uint)length };
            else _recycle[recycles++] = received.Address;
        }

        // The descriptors are copied out; RX may have its entries back before TX and fill get theirs.
        _socket.Rx.Release(count);
        Recycle(_recycle.AsSpan(0, recycles));
        Transmit(_send.AsSpan(0, sends));
    }

    private void Transmit(ReadOnlySpan<XdpDescriptor> replies)
    {
        if (replies.Length == 0) return;
        // TX holds as many entries as there are frames, so every reply finds room.
        uint reserved = _socket.Tx.Reserve((uint)replies.Length, out uint index);
        for (int i = 0; i < reserved; i++) _socket.Tx.Descriptor(index + (uint)i) = replies[i];
        _socket.Tx.Submit(reserved);
        _transmitting += reserved;
        Frames.Sent += reserved;
        _unkicked += (int)reserved;
        if (_unkicked < _kickThreshold) return;
        _unkicked = 0;
        if (_socket.Tx.NeedsWakeup && !_socket.WakeTransmit()) Frames.WakeErrors++;
    }

    /// <summary>Frames sent (completion ring) go back to the fill ring.</summary>
    private void Reclaim()
    {
        uint done = _socket.Completion.Peek((uint)_socket.FrameCount, out uint index);
        if (done == 0) return;
        uint reserved = _socket.Fill.Reserve(done, out uint fill);
        for (uint i = 0; i < reserved; i++) _socket.Fill.Address(fill + i) = _socket.Completion.Address(index + i);
        _socket.Fill.Submit(reserved);
        _socket.Completion.Release(done);
        _transmitting -= done;
    }

    private void Recycle(ReadOnlySpan<ulong> addresses)
    {
        if (addresses.Length == 0) return;
        uint reserved = _socket.Fill.Reserve((uint)addresses.Length, out uint index);
        for (int i = 0; i < reserved; i++) _socket.Fill.Address(index + (uint)i) = addresses[i];
        _socket.Fill.Submit(reserved);
    }

    /// <summary>On stop: waits, bounded, until the kernel has returned every frame queued for transmit.</summary>
    private void Drain()
    {
        long deadline = Environment.TickCount64 + (long)DrainTimeout.TotalMilliseconds;
        while (_transmitting > 0 && Environment.TickCount64 < deadline)
        {
            if (_socket.Tx.NeedsWakeup) _socket.WakeTransmit();
            Reclaim();
            if (_transmitting > 0) Thread.Sleep(1);
        }
    }
}
