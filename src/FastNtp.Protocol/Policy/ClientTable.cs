using System.Runtime.InteropServices;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Protocol.Policy;

/// <summary>
/// One worker's record of its clients: a token bucket per client (IPv4 address, or IPv6 prefix) and the
/// counters of the client log, in a fixed number of entries allocated up front.
/// <para>
/// Layout: a set-associative hash table (as CPU caches and chrony's client log are): a client hashes, with a
/// seed fixed at start so addresses cannot be chosen to collide, to one set of <see cref="Ways"/> entries;
/// when its set is full the entry seen longest ago is evicted. A lookup reads one set's keys (two cache
/// lines: the keys' high and low halves live in separate arrays) and one entry; nothing is allocated after
/// construction. Memory: <see cref="BytesPerEntry"/> bytes per entry (16 of key, 48 of state), plus one byte
/// per set, and <see cref="BytesPerReply"/> more per entry when the table keeps reply times for interleaved mode.
/// </para>
/// <para>
/// Interleaved mode (<see cref="KeepsReplyTimes"/>): an entry also holds the receive and transmit times of the
/// last reply its client got, so the next request can be answered with that reply's real transmit time. The
/// entry is the client's (or its IPv6 prefix's): a request is matched to the reply its origin timestamp names,
/// exactly, so clients that share an entry only ever fall back to basic mode, never get each other's times.
/// </para>
/// <para>
/// Time is monotonic nanoseconds (CLOCK_MONOTONIC, read once per batch): rate limits measure intervals, not
/// dates, and a monotonic clock neither steps nor slews with the served time. A time earlier than one already
/// seen is taken as that time, so a clock read out of order neither refuses nor refills anyone.
/// </para>
/// <para>
/// Single writer: only the owning worker calls <see cref="Take"/>. <see cref="CopyTop"/> may run on any
/// thread at the same time and reads each field once, whole (aligned 8-byte reads do not tear on x64 or
/// arm64); an entry replaced while it is read is skipped, and an entry updated while it is read may show
/// counters one request apart. That is accurate enough for a client log, and costs the writer nothing.
/// </para>
/// </summary>
public sealed class ClientTable
{
    public const int Ways = 8;
    public const int BytesPerEntry = 64;
    public const int BytesPerReply = 16;

    private readonly ulong[] _keyHigh;
    private readonly ulong[] _keyLow;
    private readonly ClientEntry[] _entries;
    private readonly byte[] _setFill;
    /// <summary>Parallel to <see cref="_entries"/>: the last reply's times, for interleaved mode; null when not kept.</summary>
    private readonly PreviousReply[]? _replies;
    private readonly int _sets;
    private readonly ulong _seed;
    private readonly long _interval;
    private readonly long _burstTolerance;
    private readonly int _ipv6Prefix;
    private readonly long _horizon;
    private long _latest;
    private long _evictions;

    /// <param name="entries">Capacity, rounded up to whole sets of <see cref="Ways"/>.</param>
    /// <param name="interval">Average time between requests a client may keep up, in nanoseconds.</param>
    /// <param name="burst">Requests a client may send at once after a quiet spell (the bucket's depth), at least 1.</param>
    /// <param name="ipv6Prefix">IPv6 clients sharing this many leading bits share a bucket (one /64 is one site).</param>
    /// <param name="seed">Secret hash seed (random in production, fixed in tests).</param>
    /// <param name="keepReplyTimes">Also keep each client's last reply times, for interleaved mode.</param>
    public ClientTable(int entries, long interval, int burst, int ipv6Prefix, ulong seed, bool keepReplyTimes = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, long.MaxValue / 4 / burst);
        ArgumentOutOfRangeException.ThrowIfLessThan(ipv6Prefix, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6Prefix, 128);
        _sets = (entries + Ways - 1) / Ways;
        _keyHigh = new ulong[_sets * Ways];
        _keyLow = new ulong[_sets * Ways];
        _entries = new ClientEntry[_sets * Ways];
        _setFill = new byte[_sets];
        if (keepReplyTimes) _replies = new PreviousReply[_sets * Ways];
        _seed = seed;
        _interval = interval;
        _burstTolerance = (burst - 1) * interval;
        _ipv6Prefix = ipv6Prefix;
        // Times past the horizon count as the horizon, so a bucket's full-at time never overflows.
        _horizon = long.MaxValue - 2 * (_burstTolerance + interval);
        _latest = long.MinValue;
    }

    public int Capacity => _entries.Length;

    public int Ipv6Prefix => _ipv6Prefix;

    /// <summary>The table keeps each client's last reply times (interleaved mode).</summary>
    public bool KeepsReplyTimes => _replies is not null;

    /// <summary>Entries handed to a new client while their set was full (a measure of table pressure).</summary>
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>The bucket key of a client: an IPv4 address, or an IPv6 address cut to the configured prefix.</summary>
    public ClientAddress KeyOf(in ClientAddress client) => client.IsIPv4 ? client : client.Mask(_ipv6Prefix);

    /// <summary>
    /// Finds (or makes, evicting the oldest of its set) the client's entry, counts the request and takes a
    /// token. Returns the entry so the caller can record what it did; <paramref name="withinLimit"/> says
    /// whether a token was there, <paramref name="index"/> where the entry is (for the reply-time methods).
    /// A new entry starts with a full bucket.
    /// </summary>
    /// <remarks>
    /// The bucket is kept as one number, the time at which it will be full again ("theoretical arrival time",
    /// the GCRA form of a token bucket): a request is within the limit when that time lies no more than
    /// (burst − 1) intervals ahead, and taking a token moves it one interval on. Requests over the limit take
    /// nothing, so a client that sends too fast still gets its average rate through.
    /// </remarks>
    internal ref ClientEntry Take(in ClientAddress client, bool nts, long now, out bool withinLimit, out int index)
    {
        if (now > _horizon) now = _horizon;
        if (now < _latest) now = _latest;
        else _latest = now;

        ClientAddress key = KeyOf(client);
        index = Find(key, now);
        ref ClientEntry entry = ref _entries[index];
        entry.Requests++;
        entry.LastSeen = now;
        entry.Flags |= (byte)(nts ? ClientFlags.Nts : ClientFlags.Plain);

        long full = Math.Max(entry.FullAt, now);
        withinLimit = full - now <= _burstTolerance;
        if (withinLimit) entry.FullAt = full + _interval;
        return ref entry;
    }

    /// <summary>The index of the client's entry, made (evicting the oldest of its set) when there is none.</summary>
    private int Find(ClientAddress key, long now)
    {
        int set = SetOf(key);
        int first = set * Ways;
        int fill = _setFill[set];
        ReadOnlySpan<ulong> high = _keyHigh.AsSpan(first, Ways);
        ReadOnlySpan<ulong> low = _keyLow.AsSpan(first, Ways);
        for (int i = 0; i < fill; i++)
        {
            if (high[i] == key.High && low[i] == key.Low) return first + i;
        }

        int slot;
        bool grows = fill < Ways;
        if (grows)
        {
            slot = first + fill;
        }
        else
        {
            slot = first;
            for (int i = first + 1; i < first + Ways; i++)
            {
                if (_entries[i].LastSeen < _entries[slot].LastSeen) slot = i;
            }

            Volatile.Write(ref _evictions, _evictions + 1);
        }

        // Reset the state before the key changes, and the key before the set shows the slot (release writes keep
        // that order), so a concurrent reader never sees the old client's counters under the new key.
        _entries[slot] = new ClientEntry { FullAt = now, LastSeen = now };
        _replies?[slot] = default;
        Volatile.Write(ref _keyHigh[slot], key.High);
        Volatile.Write(ref _keyLow[slot], key.Low);
        if (grows) Volatile.Write(ref _setFill[set], (byte)(fill + 1));
        return slot;
    }

    /// <summary>
    /// The times of the last reply to the client whose entry is at <paramref name="index"/> (from
    /// <see cref="ClientPolicy.Decide(in ClientAddress, bool, long, out int)"/>); zero when none is known.
    /// </summary>
    public PreviousReply PreviousReply(int index) => _replies is null ? default : _replies[index];

    /// <summary>
    /// Forgets the transmit time of the entry's last reply once an interleaved reply has carried it, so a
    /// repeated or replayed request cannot get it twice.
    /// </summary>
    public void ForgetTransmit(int index) => _replies?[index] = _replies[index] with { Transmit = NtpTimestamp.Zero };

    /// <summary>
    /// Records a reply sent to <paramref name="client"/>: its receive time as written and its transmit time
    /// (the one written, or for an interleaved reply, the time it was sent). Ignored when the entry at
    /// <paramref name="index"/> went to another client meanwhile.
    /// </summary>
    public void RecordReply(int index, in ClientAddress client, NtpTimestamp receive, NtpTimestamp transmit)
    {
        if (_replies is null || (uint)index >= (uint)_replies.Length || !HoldsClient(index, client)) return;
        _replies[index] = new PreviousReply(receive, transmit);
    }

    /// <summary>
    /// Replaces the transmit time of a recorded reply with the kernel's (or NIC's) stamp of when it left.
    /// Applies only while the entry still holds that reply (same client, same receive time); returns whether it did.
    /// </summary>
    public bool UpdateTransmit(int index, in ClientAddress client, NtpTimestamp receive, NtpTimestamp transmit)
    {
        if (_replies is null || (uint)index >= (uint)_replies.Length || !HoldsClient(index, client)) return false;
        ref PreviousReply reply = ref _replies[index];
        if (reply.Receive != receive || reply.Receive.IsZero || reply.Transmit.IsZero) return false;
        reply = reply with { Transmit = transmit };
        return true;
    }

    private bool HoldsClient(int index, in ClientAddress client)
    {
        ClientAddress key = KeyOf(client);
        return index % Ways < _setFill[index / Ways] && _keyHigh[index] == key.High && _keyLow[index] == key.Low;
    }

    private int SetOf(in ClientAddress key)
    {
        // A keyed multiply-xorshift mix; the multiply-high maps it onto any number of sets without a modulo.
        ulong h = (key.High ^ _seed) * 0x9E37_79B9_7F4A_7C15UL;
        h = (h ^ key.Low ^ (h >> 29)) * 0xBF58_476D_1CE4_E5B9UL;
        h ^= h >> 32;
        return (int)(((h & 0xFFFF_FFFFUL) * (ulong)_sets) >> 32);
    }

    /// <summary>
    /// Copies the clients with the most requests into <paramref name="destination"/>, most first; returns how
    /// many. Safe to call from another thread while the worker writes (see the class remarks); allocates nothing.
    /// </summary>
    public int CopyTop(Span<ClientLogEntry> destination)
    {
        int count = 0;
        if (destination.IsEmpty) return 0;
        for (int set = 0; set < _sets; set++)
        {
            int fill = Volatile.Read(ref _setFill[set]);
            for (int i = set * Ways; i < set * Ways + fill; i++)
            {
                if (!TryRead(i, out ClientLogEntry record)) continue;
                if (count < destination.Length)
                {
                    destination[count] = record;
                    SiftUp(destination, count++);
                }
                else if (record.Requests > destination[0].Requests)
                {
                    destination[0] = record;
                    SiftDown(destination[..count], 0);
                }
            }
        }

        // The span is a min-heap on requests; sort it, most requests first.
        for (int end = count - 1; end > 0; end--)
        {
            (destination[0], destination[end]) = (destination[end], destination[0]);
            SiftDown(destination[..end], 0);
        }

        return count;
    }

    private bool TryRead(int slot, out ClientLogEntry record)
    {
        ClientAddress key = ReadKey(slot);
        ref ClientEntry entry = ref _entries[slot];
        var flags = (ClientFlags)Volatile.Read(ref entry.Flags);
        record = new ClientLogEntry(
            key,
            key.IsIPv4 ? 32 : _ipv6Prefix,
            Volatile.Read(ref entry.Requests),
            Volatile.Read(ref entry.KodSent),
            Volatile.Read(ref entry.Dropped),
            (flags & ClientFlags.Nts) != 0,
            (flags & ClientFlags.Plain) != 0,
            Volatile.Read(ref entry.LastSeen));
        return ReadKey(slot) == key && record.Requests > 0;
    }

    private ClientAddress ReadKey(int slot) => new(Volatile.Read(ref _keyHigh[slot]), Volatile.Read(ref _keyLow[slot]));

    private static void SiftUp(Span<ClientLogEntry> heap, int index)
    {
        while (index > 0)
        {
            int parent = (index - 1) / 2;
            if (heap[parent].Requests <= heap[index].Requests) return;
            (heap[parent], heap[index]) = (heap[index], heap[parent]);
            index = parent;
        }
    }

    private static void SiftDown(Span<ClientLogEntry> heap, int index)
    {
        while (true)
        {
            int smallest = index, left = 2 * index + 1, right = left + 1;
            if (left < heap.Length && heap[left].Requests < heap[smallest].Requests) smallest = left;
            if (right < heap.Length && heap[right].Requests < heap[smallest].Requests) smallest = right;
            if (smallest == index) return;
            (heap[smallest], heap[index]) = (heap[index], heap[smallest]);
            index = smallest;
        }
    }
}

[Flags]
public enum ClientFlags : byte
{
    None = 0,
    /// <summary>The client sent at least one plain (unauthenticated) request.</summary>
    Plain = 1,
    /// <summary>The client sent at least one NTS request.</summary>
    Nts = 2,
}

/// <summary>One client's bucket and client-log counters: 48 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ClientEntry
{
    /// <summary>Monotonic time at which the bucket is full again (GCRA's theoretical arrival time).</summary>
    public long FullAt;
    public long LastSeen;
    public long Requests;
    public long KodSent;
    public long Dropped;
    /// <summary>Where this client is in its kiss cycle: <c>KodShare</c> is added per request over the limit, modulo one.</summary>
    public uint KissPhase;
    /// <summary><see cref="ClientFlags"/>, kept as a byte so a reader can load it with Volatile.Read.</summary>
    public byte Flags;
}

/// <summary>A row of the client log: a bucket key and its counters.</summary>
/// <param name="Prefix">The address (IPv4) or the IPv6 prefix the bucket covers.</param>
/// <param name="PrefixLength">32 for IPv4, the configured IPv6 prefix length otherwise.</param>
/// <param name="LastSeen">The table's monotonic time of the client's last request (compare with the caller's now).</param>
public readonly record struct ClientLogEntry(
    ClientAddress Prefix, int PrefixLength, long Requests, long KodSent, long Dropped, bool SeenNts, bool SeenPlain,
    long LastSeen);
