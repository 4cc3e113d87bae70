using System.Buffers.Binary;
using System.Security.Cryptography;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// The cookie master keys valid at one moment: the current epoch's key (used to seal), the previous
/// <see cref="StaleEpochs"/> epochs' keys and the next epoch's key (accepted to open). Every key is derived with
/// HKDF-SHA256 from the fleet's root secret and the epoch number, so every server holding the same secret
/// derives the same keys with no coordination. Immutable; shared read-only by all workers.
/// </summary>
public sealed class CookieKeySet
{
    /// <summary>The AEAD that seals cookies. Fixed, so every server in a fleet reads every other's cookies.</summary>
    public const AeadAlgorithm CookieAlgorithm = AeadAlgorithm.AesSivCmac256;

    private static readonly byte[] InfoPrefix = "FastNtp NTS cookie key v1"u8.ToArray();

    private readonly byte[][] _keys;

    private CookieKeySet(long epoch, int staleEpochs, byte[][] keys)
    {
        Epoch = epoch;
        StaleEpochs = staleEpochs;
        _keys = keys;
    }

    /// <summary>The epoch whose key seals new cookies; also the cookies' key id (low 32 bits).</summary>
    public long Epoch { get; }

    public int StaleEpochs { get; }

    public uint CurrentKeyId => KeyIdOf(Epoch);

    /// <summary>Number of keys held: stale epochs, the current one and the next one.</summary>
    public int Count => _keys.Length;

    /// <summary>Key id of the oldest key held; key ids are consecutive from here.</summary>
    public uint OldestKeyId => KeyIdOf(Epoch - StaleEpochs);

    public static uint KeyIdOf(long epoch) => unchecked((uint)epoch);

    /// <summary>The epoch that contains <paramref name="unixSeconds"/> for the given rotation period.</summary>
    public static long EpochAt(long unixSeconds, TimeSpan rotation)
    {
        long period = (long)rotation.TotalSeconds;
        if (period <= 0) throw new ArgumentOutOfRangeException(nameof(rotation), rotation, "The rotation period is at least one second.");
        return Math.DivRem(unixSeconds, period, out long rest) - (rest < 0 ? 1 : 0);
    }

    /// <summary>Derives the key set for <paramref name="epoch"/>.</summary>
    public static CookieKeySet Derive(ReadOnlySpan<byte> rootSecret, long epoch, int staleEpochs)
    {
        if (rootSecret.Length < 32) throw new ArgumentException("The NTS root secret has at least 32 octets.", nameof(rootSecret));
        ArgumentOutOfRangeException.ThrowIfNegative(staleEpochs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(staleEpochs, 1000);

        byte[][] keys = new byte[staleEpochs + 2][];
        for (int i = 0; i < keys.Length; i++) keys[i] = DeriveKey(rootSecret, epoch - staleEpochs + i);
        return new CookieKeySet(epoch, staleEpochs, keys);
    }

    /// <summary>The master key of one epoch: HKDF-SHA256(secret, info = label || epoch as 64-bit big-endian).</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> rootSecret, long epoch)
    {
        Span<byte> info = stackalloc byte[InfoPrefix.Length + 8];
        InfoPrefix.CopyTo(info);
        BinaryPrimitives.WriteInt64BigEndian(info[InfoPrefix.Length..], epoch);
        byte[] key = new byte[Aead.KeyLength(CookieAlgorithm)];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, rootSecret, key, salt: [], info);
        return key;
    }

    /// <summary>True once <see cref="Clear"/> has run: every key is zero.</summary>
    public bool IsCleared => Array.TrueForAll(_keys, k => !k.AsSpan().ContainsAnyExcept((byte)0));

    /// <summary>
    /// Zeroes every key. Only for a set no reader can still hold: codecs copy keys when they pick up a newer set,
    /// so the owner clears a set once a later one has been published for a while (<c>CookieKeyManager</c>).
    /// </summary>
    public void Clear()
    {
        foreach (byte[] key in _keys) CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>The key at position <paramref name="index"/> (0 is the oldest).</summary>
    internal ReadOnlySpan<byte> KeyAt(int index) => _keys[index];

    /// <summary>Index of the current key.</summary>
    internal int CurrentIndex => StaleEpochs;

    /// <summary>Position of a key id among the held keys, or -1. O(1): key ids are consecutive epochs.</summary>
    public int IndexOf(uint keyId)
    {
        uint offset = unchecked(keyId - OldestKeyId);
        return offset < (uint)_keys.Length ? (int)offset : -1;
    }
}

/// <summary>Where workers find the current <see cref="CookieKeySet"/>; replaced atomically on rotation.</summary>
public sealed class CookieKeyStore(CookieKeySet initial)
{
    private CookieKeySet _current = initial ?? throw new ArgumentNullException(nameof(initial));

    public CookieKeySet Current => Volatile.Read(ref _current);

    public void Publish(CookieKeySet keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Volatile.Write(ref _current, keys);
    }
}
