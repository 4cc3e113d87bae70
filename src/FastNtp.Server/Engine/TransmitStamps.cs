using FastNtp.Interop.Sockets;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Metrics;
using FastNtp.Server.Timestamping;

namespace FastNtp.Server.Engine;

/// <summary>
/// Matches the kernel's transmit stamps (SO_TIMESTAMPING, read from the socket's error queue) to the replies they
/// belong to, and puts each into its client's table entry as that reply's transmit time, for the client's next,
/// interleaved, reply. One per worker socket; everything is allocated once.
/// </summary>
/// <remarks>
/// The kernel tags each datagram the socket sends with a key (OPT_ID: 0, 1, 2, ... in send order). Every
/// datagram the kernel took gets the next key here too, in the same order: a reply worth a stamp records who it
/// went to in a ring slot, any other datagram (a kiss, a NAK) takes its key and leaves the slot empty. A
/// datagram the kernel refused gets no key from a current kernel, but older ones may count it; so after a
/// refusal the keys restart at 0 on both sides. A stamp whose key finds its slot overwritten (it came too
/// late), or whose time lies outside [written transmit time, +1 s] (chrony's bound on a stamp's delay), is
/// ignored; a stamp that never comes (error queue full) leaves the written time in place. So a reply gets its
/// own stamp or none, never another's.
/// </remarks>
internal sealed class TransmitStamps : IDisposable
{
    /// <summary>Replies whose stamps may be pending: several full batches.</summary>
    public const int RingSize = 1024;

    /// <summary>Error-queue messages read per recvmmsg.</summary>
    public const int ReadBatch = 64;

    /// <summary>The longest a stamp may follow the time written for its reply: one second (2^32 NTP units).</summary>
    private const long MaxDelay = 1L << 32;

    private readonly UdpBatchSocket _socket;
    private readonly ClientTable _table;
    private readonly WorkerCounters _counters;
    private readonly PacketBatch _errors = new(ReadBatch, 1);
    private readonly Pending[] _ring = new Pending[RingSize];
    private HardwareClocks? _hardware;
    private uint _nextKey;

    public TransmitStamps(UdpBatchSocket socket, ClientTable table, WorkerCounters counters)
    {
        _socket = socket;
        _table = table;
        _counters = counters;
    }

    /// <summary>The key the next datagram sent will carry.</summary>
    internal uint NextKey => _nextKey;

    /// <summary>NIC transmit stamps are converted with these PHC lines (the socket asks for them too).</summary>
    public void UseHardwareStamps(HardwareClocks hardware) => _hardware = hardware;

    /// <summary>A reply the kernel took: its stamp will be matched to the client's entry and receive time.</summary>
    /// <param name="stampingInterface">The interface whose NIC stamped the request (0: none); a NIC stamp of the reply is read with its PHC.</param>
    public void Sent(int tableIndex, in ClientAddress client, NtpTimestamp receive, NtpTimestamp written, int stampingInterface = 0)
    {
        _ring[_nextKey % RingSize] = new Pending(_nextKey, true, tableIndex, client, receive, written, stampingInterface);
        _nextKey++;
    }

    /// <summary>A datagram the kernel took whose stamp is of no use: it takes its key.</summary>
    public void SentUntracked()
    {
        _ring[_nextKey % RingSize] = default;
        _nextKey++;
    }

    /// <summary>
    /// After the kernel refused a datagram: take in the stamps queued so far, then restart the keys at 0, since the
    /// kernel's count and ours may now differ.
    /// </summary>
    public void Restart(ServerSnapshot snapshot)
    {
        Drain(snapshot);
        Array.Clear(_ring);
        _socket.RestartTransmitKeys();
        _nextKey = 0;
    }

    /// <summary>Reads every stamp queued (never waiting), applying those that match; returns how many did.</summary>
    public int Drain(ServerSnapshot snapshot)
    {
        int applied = 0;
        // Bounded: the queue holds at most the replies of the ring, plus what arrives meanwhile.
        for (int round = 0; round <= RingSize / ReadBatch; round++)
        {
            int read = _socket.ReceiveErrors(_errors, ReadBatch, out _);
            for (int i = 0; i < read; i++)
            {
                bool stamp = _errors.TryGetTimestampKey(i, out uint key)
                    && KernelStamp.TryRead(_errors, i, _hardware, _ring[key % RingSize].StampingInterface, out long nanoseconds, out _)
                    && Apply(key, NtpTimestamp.FromUnixNanoseconds(nanoseconds), snapshot);
                if (stamp) applied++;
            }

            if (read < ReadBatch) break;
        }

        _counters.TransmitStamps += applied;
        return applied;
    }

    /// <summary>Puts a stamp into its reply's client entry when the key, the entry and the time all agree.</summary>
    internal bool Apply(uint key, NtpTimestamp kernelTime, ServerSnapshot snapshot)
    {
        ref Pending pending = ref _ring[key % RingSize];
        if (!pending.Tracked || pending.Key != key) return false;
        Pending reply = pending;
        pending = default;

        NtpTimestamp transmit = snapshot.ServedTime(kernelTime);
        long delay = unchecked((long)(transmit.Value - reply.Written.Value));
        if (delay is < 0 or > MaxDelay) return false;
        return _table.UpdateTransmit(reply.TableIndex, reply.Client, reply.Receive, transmit);
    }

    public void Dispose() => _errors.Dispose();

    private readonly record struct Pending(
        uint Key, bool Tracked, int TableIndex, ClientAddress Client, NtpTimestamp Receive, NtpTimestamp Written, int StampingInterface);
}
