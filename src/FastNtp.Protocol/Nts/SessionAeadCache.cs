using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// Per-worker AEAD objects for client sessions, found by the (C2S, S2C) key pair a cookie carries. A client sends
/// the same pair in every cookie until it runs NTS-KE again, so a hit skips key set-up. A miss re-keys the least
/// recently used entry of a small set in place (<see cref="Aead.SetKey"/>), so a new session allocates nothing on
/// the AES hardware path. Not thread-safe: one per worker.
/// </summary>
/// <remarks>
/// Each algorithm has its own fixed pool of key objects, created in one go the first time the worker sees that
/// algorithm (a worker that only ever serves AES-SIV-CMAC-256 never builds the others). On the portable AES
/// fallback <see cref="Aead.SetKey"/> itself allocates a native cipher context; the cache still bounds the objects.
/// </remarks>
internal sealed class SessionAeadCache : IDisposable
{
    /// <summary>
    /// Sessions held per algorithm by default: enough for the clients that poll a worker often (bursts, fleets, load
    /// tests) to keep their keys between requests. About 1.2 KiB per session for AES-SIV (two key schedules and the
    /// stored pair), so about 1.3 MiB per worker for each algorithm its clients use; a miss costs a re-key (~0.1 µs).
    /// </summary>
    public const int DefaultEntries = 1024;

    /// <summary>Entries a key pair may occupy: its set. Four ways keep unlucky collisions from thrashing a pair.</summary>
    public const int Ways = 4;

    private readonly Pool?[] _pools = new Pool?[4];
    private readonly int _setMask;
    private readonly int _entries;
    private long _clock;

    /// <param name="entriesPerAlgorithm">Sessions held per algorithm: a power of two, at least <see cref="Ways"/>.</param>
    public SessionAeadCache(int entriesPerAlgorithm = DefaultEntries)
    {
        if (entriesPerAlgorithm < Ways || (entriesPerAlgorithm & (entriesPerAlgorithm - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(entriesPerAlgorithm), entriesPerAlgorithm, $"A power of two, at least {Ways}.");
        _entries = entriesPerAlgorithm;
        _setMask = entriesPerAlgorithm / Ways - 1;
    }

    /// <summary>
    /// AEAD objects keyed with <paramref name="c2s"/> and <paramref name="s2c"/>, valid until the next call. True when
    /// the pair was cached; false when an entry was re-keyed for it (a new session, or one evicted since its last request).
    /// </summary>
    /// <exception cref="ArgumentException">A key whose length does not match <paramref name="algorithm"/> (a caller bug).</exception>
    public bool Get(AeadAlgorithm algorithm, ReadOnlySpan<byte> c2s, ReadOnlySpan<byte> s2c, out Aead c2sAead, out Aead s2cAead)
    {
        int index = PoolIndex(algorithm);
        Pool pool = _pools[index] ??= new Pool(algorithm, _entries);
        int keyLength = pool.KeyLength;
        if (c2s.Length != keyLength || s2c.Length != keyLength)
            throw new ArgumentException($"{algorithm} session keys are {keyLength} bytes.", nameof(c2s));

        // Session keys are exporter output, uniformly random, so their first octets are as good as a hash.
        int first = (int)(BinaryPrimitives.ReadUInt32LittleEndian(c2s) & (uint)_setMask) * Ways;
        int victim = first;
        long oldest = long.MaxValue;
        for (int i = first; i < first + Ways; i++)
        {
            long used = pool.LastUsed[i];
            // Every key byte is compared, in time independent of the bytes. The stored pairs are other clients'
            // secrets; the probe is a pair sealed in a cookie by this server, which no client can pick byte by byte,
            // so the only timing signal left is hit or miss, and that tells only someone who already holds the pair.
            if (used != 0 && Matches(pool.StoredKeys(i), c2s, s2c))
            {
                pool.LastUsed[i] = ++_clock;
                c2sAead = pool.C2S[i];
                s2cAead = pool.S2C[i];
                return true;
            }

            // Empty entries (0) go first, then the least recently used.
            if (used < oldest)
            {
                oldest = used;
                victim = i;
            }
        }

        // The entry counts as empty until both objects and the stored bytes carry the new pair.
        pool.LastUsed[victim] = 0;
        pool.C2S[victim].SetKey(c2s);
        pool.S2C[victim].SetKey(s2c);
        // Overwrites every byte of the evicted pair (same algorithm, same length): no copy of it survives.
        Span<byte> stored = pool.StoredKeys(victim);
        c2s.CopyTo(stored);
        s2c.CopyTo(stored[keyLength..]);
        pool.LastUsed[victim] = ++_clock;
        c2sAead = pool.C2S[victim];
        s2cAead = pool.S2C[victim];
        return false;
    }

    public void Dispose()
    {
        for (int i = 0; i < _pools.Length; i++)
        {
            _pools[i]?.Dispose();
            _pools[i] = null;
        }
    }

    /// <summary>
    /// Whether the stored pair equals (C2S, S2C): an OR of XORs over every byte and one test at the end, so the time
    /// depends only on the (public) key length. Every supported key length (16, 32, 48, 64) is whole 16-byte blocks.
    /// </summary>
    /// <remarks>
    /// Not <see cref="CryptographicOperations.FixedTimeEquals"/>: it runs unoptimized by design, and a miss compares
    /// a whole set (eight calls), which measured several hundred nanoseconds per request.
    /// </remarks>
    private static bool Matches(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> c2s, ReadOnlySpan<byte> s2c)
    {
        int n = c2s.Length;
        Vector128<byte> difference = Vector128<byte>.Zero;
        for (int i = 0; i < n; i += 16)
        {
            difference |= Vector128.Create(stored.Slice(i, 16)) ^ Vector128.Create(c2s.Slice(i, 16));
            difference |= Vector128.Create(stored.Slice(n + i, 16)) ^ Vector128.Create(s2c.Slice(i, 16));
        }

        return difference == Vector128<byte>.Zero;
    }

    private static int PoolIndex(AeadAlgorithm algorithm) => algorithm switch
    {
        AeadAlgorithm.AesSivCmac256 => 0,
        AeadAlgorithm.AesSivCmac384 => 1,
        AeadAlgorithm.AesSivCmac512 => 2,
        AeadAlgorithm.Aes128GcmSiv => 3,
        _ => throw new ArgumentException($"Unsupported AEAD algorithm {(ushort)algorithm}.", nameof(algorithm)),
    };

    /// <summary>The key objects of one algorithm, their key pairs (C2S || S2C per entry) and last-use ticks (0 = empty).</summary>
    private sealed class Pool : IDisposable
    {
        public readonly int KeyLength;
        public readonly Aead[] C2S;
        public readonly Aead[] S2C;
        public readonly long[] LastUsed;
        private readonly byte[] _keys;

        public Pool(AeadAlgorithm algorithm, int entries)
        {
            KeyLength = Aead.KeyLength(algorithm);
            C2S = new Aead[entries];
            S2C = new Aead[entries];
            LastUsed = new long[entries];
            _keys = new byte[entries * 2 * KeyLength];
            // Placeholder all-zero keys: an empty entry is never handed out before SetKey replaces them.
            Span<byte> placeholder = stackalloc byte[KeyLength];
            placeholder.Clear();
            for (int i = 0; i < entries; i++)
            {
                C2S[i] = Aead.Create(algorithm, placeholder);
                S2C[i] = Aead.Create(algorithm, placeholder);
            }
        }

        public Span<byte> StoredKeys(int entry) => _keys.AsSpan(entry * 2 * KeyLength, 2 * KeyLength);

        public void Dispose()
        {
            foreach (Aead aead in C2S) aead.Dispose();
            foreach (Aead aead in S2C) aead.Dispose();
            CryptographicOperations.ZeroMemory(_keys);
            Array.Clear(LastUsed);
        }
    }
}
