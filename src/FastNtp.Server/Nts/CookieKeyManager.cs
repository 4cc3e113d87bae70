using FastNtp.Protocol.Nts;

namespace FastNtp.Server.Nts;

/// <summary>
/// Keeps <see cref="Store"/> on the current epoch: derives the key set from the root secret whenever the
/// epoch (floor(unix time / rotation)) changes and publishes it atomically for every worker and the NTS-KE
/// server. A timer checks often enough that a new epoch is picked up within seconds.
/// </summary>
public sealed class CookieKeyManager : IDisposable
{
    private readonly byte[] _secret;
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
        long epoch = CurrentEpoch();
        if (Store.Current.Epoch == epoch) return false;
        Store.Publish(CookieKeySet.Derive(_secret, epoch, StaleEpochs));
        return true;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_secret);
    }
}
