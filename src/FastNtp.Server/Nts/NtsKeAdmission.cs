using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastNtp.Server.Configuration;

namespace FastNtp.Server.Nts;

/// <summary>Why an NTS-KE connection was closed before its TLS handshake.</summary>
public enum NtsKeRefusal
{
    None,
    /// <summary>The address already holds <see cref="NtsKeSettings.MaxConnectionsPerAddress"/> open connections.</summary>
    ConnectionsPerAddress,
    /// <summary>The address started <see cref="NtsKeSettings.HandshakesPerAddress"/> handshakes within the window.</summary>
    HandshakeRate,
    /// <summary>Every tracked address is still active (the table is full); a new address waits until one goes quiet.</summary>
    TableFull,
}

/// <summary>
/// Per-address NTS-KE accounting, decided when a connection is accepted, before TLS costs anything: open
/// connections per address (IPv6 grouped by /64, what one host usually holds), so no address holds more than its
/// share of the slots, and a token bucket of handshakes per address that refills over the window (chrony's
/// ntsratelimit). The table is bounded: an address is forgotten once it has no connection and a full bucket.
/// Thread-safe; one short lock per accept and per close (NTS-KE is connection-rate, not packet-rate, work).
/// </summary>
internal sealed class NtsKeAdmission
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Entry> _entries;
    private readonly int _perAddress;
    private readonly double _burst;
    private readonly double _refillPerTick;
    private readonly int _capacity;
    private readonly TimeProvider _time;

    public NtsKeAdmission(NtsKeSettings limits, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _perAddress = limits.MaxConnectionsPerAddress;
        _burst = limits.HandshakesPerAddress;
        _time = time ?? TimeProvider.System;
        _refillPerTick = _burst / (limits.HandshakeWindow.TotalSeconds * _time.TimestampFrequency);
        // Every open connection needs an entry; beyond that, addresses still refilling their bucket.
        _capacity = Math.Max(4 * limits.MaxConnections, 4096);
        _entries = new Dictionary<UInt128, Entry>(Math.Min(_capacity, 4096));
    }

    /// <summary>Addresses tracked now (open connections or a bucket still refilling).</summary>
    public int Tracked
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Admits a connection from <paramref name="address"/> (then <see cref="Release"/> it when it closes) or says why not.</summary>
    public NtsKeRefusal TryAdmit(IPAddress address)
    {
        UInt128 key = Key(address);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_entries.ContainsKey(key) && _entries.Count >= _capacity && !Prune(now)) return NtsKeRefusal.TableFull;
            ref Entry entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out bool exists);
            if (!exists) entry = new Entry(0, _burst, now);
            entry.Refill(now, _refillPerTick, _burst);
            if (entry.Open >= _perAddress) return NtsKeRefusal.ConnectionsPerAddress;
            if (entry.Tokens < 1) return NtsKeRefusal.HandshakeRate;
            entry.Tokens -= 1;
            entry.Open++;
            return NtsKeRefusal.None;
        }
    }

    /// <summary>A connection admitted by <see cref="TryAdmit"/> has closed.</summary>
    public void Release(IPAddress address)
    {
        UInt128 key = Key(address);
        lock (_gate)
        {
            ref Entry entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry) && entry.Open > 0) entry.Open--;
        }
    }

    /// <summary>Forgets addresses with no open connection whose bucket has refilled; true when room was made.</summary>
    private bool Prune(long now)
    {
        int before = _entries.Count;
        foreach ((UInt128 key, Entry entry) in _entries)
        {
            Entry e = entry;
            e.Refill(now, _refillPerTick, _burst);
            if (e.Open == 0 && e.Tokens >= _burst) _entries.Remove(key);
        }

        return _entries.Count < before;
    }

    /// <summary>IPv4 (and IPv4-mapped IPv6) addresses as themselves; IPv6 by its /64.</summary>
    internal static UInt128 Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[12..], out _);
            bytes[11] = 0xff;
            bytes[10] = 0xff;
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private struct Entry(int open, double tokens, long stamp)
    {
        public int Open = open;
        public double Tokens = tokens;
        private long _stamp = stamp;

        public void Refill(long now, double perTick, double burst)
        {
            Tokens = Math.Min(burst, Tokens + ((now - _stamp) * perTick));
            _stamp = now;
        }
    }
}
