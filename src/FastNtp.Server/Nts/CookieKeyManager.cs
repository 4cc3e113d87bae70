using FastNtp.Protocol.Nts;

namespace FastNtp.Server.Nts;

/// <summary>
/// Keeps <see cref="Store"/> on the current epoch: derives the key set from the root secret whenever the
/// epoch (floor(unix time / rotation)) changes and publishes it atomically for every worker and the NTS-KE
/// server. A timer checks often enough that a new epoch is picked up within seconds. Key material is zeroed
/// when it is retired: a set one publication after it was replaced (a reader may still be copying from the
/// newest retired one), the root secret and every set on dispose.
/// </summary>
public sealed class CookieKeyManager : IDisposable
{
    private readonly Lock _lock = new();
    private byte[] _secret;
    private CookieKeySet? _retired;
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;

    public CookieKeyManager(ReadOnlySpan<byte> rootSecret, TimeSpan rotation, int staleEpochs, TimeProvider? time = null, bool startTimer = true)
    {
        if (rotation < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(rotation), rotation, "Nts.Rotation is at least one second.");
        ArgumentOutOfRangeException.ThrowIfNegative(staleEpochs);
        _secret = rootSecret.ToArray();
        _time = time ?? TimeProvider.System;
        Rotation = rotation;
        StaleEpochs = staleEpochs;
        Store = new CookieKeyStore(CookieKeySet.Derive(_secret, CurrentEpoch(), staleEpochs));
        if (startTimer)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(rotation.Ticks / 20, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 10));
            _timer = _time.CreateTimer(_ => Refresh(), null, period, period);
        }
    }

    /// <summary>A manager over a random in-memory secret: cookies survive only as long as this process.</summary>
    public static CookieKeyManager CreateEphemeral(TimeSpan rotation, int staleEpochs, TimeProvider? time = null) =>
        new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(NtsKeyFile.SecretLength), rotation, staleEpochs, time);

    public CookieKeyStore Store { get; }

    public TimeSpan Rotation { get; }

    public int StaleEpochs { get; }

    public long CurrentEpoch() => CookieKeySet.EpochAt(_time.GetUtcNow().ToUnixTimeSeconds(), Rotation);

    /// <summary>Publishes a new key set if the epoch has moved; returns true when it did.</summary>
    public bool Refresh()
    {
        lock (_lock)
        {
            long epoch = CurrentEpoch();
            if (Store.Current.Epoch == epoch) return false;
            Publish(CookieKeySet.Derive(_secret, epoch, StaleEpochs));
            return true;
        }
    }

    /// <summary>
    /// Derives from another root secret (a fleet key file changed and reloaded): cookies sealed under the old one
    /// no longer open, and clients get new ones through NTS-KE. Returns false when the secret is the same.
    /// </summary>
    public bool ReplaceSecret(ReadOnlySpan<byte> rootSecret)
    {
        lock (_lock)
        {
            if (rootSecret.SequenceEqual(_secret)) return false;
            byte[] old = _secret;
            _secret = rootSecret.ToArray();
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(old);
            Publish(CookieKeySet.Derive(_secret, CurrentEpoch(), StaleEpochs));
            return true;
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(_secret);
            _retired?.Clear();
            Store.Current.Clear();
        }
    }

    private void Publish(CookieKeySet keys)
    {
        _retired?.Clear();
        _retired = Store.Current;
        Store.Publish(keys);
    }
}
