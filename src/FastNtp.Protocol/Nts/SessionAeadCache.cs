using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// Per-worker AEAD objects for client session keys (C2S, S2C), found by key. A client sends the same keys in
/// every cookie until it runs NTS-KE again, so a hit skips key setup; a miss replaces one slot. Not thread-safe.
/// </summary>
internal sealed class SessionAeadCache : IDisposable
{
    private const int Slots = 64;
    private const int MaxKeyLength = 64;

    private readonly Aead?[] _aeads = new Aead?[Slots];
    private readonly byte[] _keys = new byte[Slots * MaxKeyLength];
    private readonly int[] _keyLengths = new int[Slots];

    public Aead Get(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        int slot = SlotOf(key);
        Aead? cached = _aeads[slot];
        Span<byte> stored = _keys.AsSpan(slot * MaxKeyLength, MaxKeyLength);
        if (cached is not null && cached.Algorithm == algorithm && _keyLengths[slot] == key.Length && stored[..key.Length].SequenceEqual(key))
            return cached;

        Aead created = Aead.Create(algorithm, key);
        cached?.Dispose();
        _aeads[slot] = created;
        key.CopyTo(stored);
        _keyLengths[slot] = key.Length;
        return created;
    }

    public void Dispose()
    {
        for (int i = 0; i < Slots; i++)
        {
            _aeads[i]?.Dispose();
            _aeads[i] = null;
        }

        Array.Clear(_keys);
    }

    private static int SlotOf(ReadOnlySpan<byte> key)
    {
        // Session keys are uniformly random, so a few of their octets are as good as a hash.
        uint h = (uint)(key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24));
        return (int)(h % Slots);
    }
}
