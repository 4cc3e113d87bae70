using System.Buffers.Binary;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

public enum CookieOpenResult : byte
{
    Ok,
    /// <summary>The key id names no key held now (too old, or another fleet's).</summary>
    UnknownKey,
    /// <summary>Wrong length, failed authentication or a bad plaintext.</summary>
    Invalid,
}

/// <summary>
/// Seals and opens NTS cookies for one worker thread. A cookie is
/// <c>key id (4) | nonce (16) | AEAD(master key, nonce, ad = key id, algorithm (2) | zero (2) | C2S | S2C)</c>;
/// every field is a multiple of four octets, so the cookie needs no padding inside an extension field and its
/// length alone tells the algorithm's key size. The per-key AEAD objects are re-keyed only when the shared
/// <see cref="CookieKeyStore"/> publishes a new set; sealing and opening allocate nothing.
/// </summary>
public sealed class NtsCookieCodec : IDisposable
{
    public const int KeyIdLength = 4;
    public const int NonceLength = 16;
    private const int PlaintextHeaderLength = 4;

    /// <summary>
    /// The one cookie length limit, for cookies issued, opened and accepted from servers alike (chrony's limit too).
    /// FastNtp's own are at most 168 octets (AES-SIV-CMAC-512 keys); a client sends every cookie back in an NTP
    /// request, so an unbounded one could not be carried.
    /// </summary>
    public const int MaxCookieLength = 256;

    private readonly CookieKeyStore _store;
    private readonly RandomPool _random;
    private CookieKeySet? _set;
    private Aead[] _aeads = [];

    public NtsCookieCodec(CookieKeyStore store, RandomPool random)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The length of a cookie carrying keys of <paramref name="algorithm"/>.</summary>
    public static int CookieLength(AeadAlgorithm algorithm) =>
        KeyIdLength + NonceLength + Aead.SealedLength(PlaintextHeaderLength + 2 * Aead.KeyLength(algorithm));

    /// <summary>Seals a cookie with the current master key; returns its length.</summary>
    public int Seal(AeadAlgorithm algorithm, ReadOnlySpan<byte> c2s, ReadOnlySpan<byte> s2c, Span<byte> destination)
    {
        int keyLength = Aead.KeyLength(algorithm);
        if (c2s.Length != keyLength || s2c.Length != keyLength) throw new ArgumentException("Key length does not match the algorithm.");
        int length = CookieLength(algorithm);
        if (destination.Length < length) throw new ArgumentException("The cookie does not fit.", nameof(destination));

        Refresh();
        CookieKeySet set = _set!;
        Span<byte> plaintext = stackalloc byte[PlaintextHeaderLength + 2 * 64];
        plaintext = plaintext[..(PlaintextHeaderLength + 2 * keyLength)];
        BinaryPrimitives.WriteUInt16BigEndian(plaintext, (ushort)algorithm);
        plaintext[2] = 0;
        plaintext[3] = 0;
        c2s.CopyTo(plaintext[PlaintextHeaderLength..]);
        s2c.CopyTo(plaintext[(PlaintextHeaderLength + keyLength)..]);

        BinaryPrimitives.WriteUInt32BigEndian(destination, set.CurrentKeyId);
        Span<byte> nonce = destination.Slice(KeyIdLength, NonceLength);
        _random.Fill(nonce);
        _aeads[set.CurrentIndex].Seal(
            nonce, destination[..KeyIdLength], plaintext, destination.Slice(KeyIdLength + NonceLength, length - KeyIdLength - NonceLength));
        plaintext.Clear();
        return length;
    }

    /// <summary>
    /// Opens a cookie. On success <paramref name="keys"/> (at least 128 octets) holds C2S then S2C,
    /// each <paramref name="keyLength"/> octets.
    /// </summary>
    public CookieOpenResult Open(ReadOnlySpan<byte> cookie, out AeadAlgorithm algorithm, Span<byte> keys, out int keyLength)
    {
        algorithm = default;
        keyLength = 0;
        int sealedLength = cookie.Length - KeyIdLength - NonceLength;
        int plaintextLength = sealedLength - Aead.TagLength;
        if (plaintextLength < PlaintextHeaderLength || cookie.Length > MaxCookieLength) return CookieOpenResult.Invalid;

        Refresh();
        int index = _set!.IndexOf(BinaryPrimitives.ReadUInt32BigEndian(cookie));
        if (index < 0) return CookieOpenResult.UnknownKey;

        Span<byte> plaintext = stackalloc byte[MaxCookieLength];
        plaintext = plaintext[..plaintextLength];
        bool opened = _aeads[index].Open(
            cookie.Slice(KeyIdLength, NonceLength), cookie[..KeyIdLength], cookie.Slice(KeyIdLength + NonceLength, sealedLength), plaintext);
        if (!opened) return CookieOpenResult.Invalid;

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(plaintext);
        int length = Aead.IsSupported(id) ? Aead.KeyLength((AeadAlgorithm)id) : -1;
        if (length < 0 || plaintext[2] != 0 || plaintext[3] != 0 || plaintextLength != PlaintextHeaderLength + 2 * length ||
            keys.Length < 2 * length)
        {
            plaintext.Clear();
            return CookieOpenResult.Invalid;
        }

        plaintext.Slice(PlaintextHeaderLength, 2 * length).CopyTo(keys);
        plaintext.Clear();
        algorithm = (AeadAlgorithm)id;
        keyLength = length;
        return CookieOpenResult.Ok;
    }

    public void Dispose()
    {
        foreach (Aead aead in _aeads) aead.Dispose();
        _aeads = [];
        _set = null;
    }

    /// <summary>
    /// Picks up a rotated key set. A rotation keeps the number of keys, so the AEAD objects are re-keyed in place
    /// (no allocation on the hardware path); only a set of another size allocates new ones.
    /// </summary>
    private void Refresh()
    {
        CookieKeySet current = _store.Current;
        if (ReferenceEquals(current, _set)) return;

        if (_aeads.Length == current.Count)
        {
            for (int i = 0; i < _aeads.Length; i++) _aeads[i].SetKey(current.KeyAt(i));
            _set = current;
            return;
        }

        var aeads = new Aead[current.Count];
        for (int i = 0; i < aeads.Length; i++) aeads[i] = Aead.Create(CookieKeySet.CookieAlgorithm, current.KeyAt(i));
        foreach (Aead old in _aeads) old.Dispose();
        _aeads = aeads;
        _set = current;
    }
}
