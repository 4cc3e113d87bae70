using FastNtp.Protocol.Leap;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Holds the current <see cref="ServerSnapshot"/>. Writers publish a whole new immutable instance; workers
/// read the reference once per batch, so a reply never mixes fields from two states. The snapshot source
/// (synchronizer, kernel follower, local clock) and the leap-second file write separately: what workers read
/// is the source's snapshot with the file's <see cref="LeapAnnouncement"/> applied.
/// </summary>
public sealed class SnapshotPublisher(ServerSnapshot initial)
{
    private readonly Lock _lock = new();
    private ServerSnapshot _source = initial;
    private ServerSnapshot _current = initial;
    private LeapAnnouncement? _leap;

    public ServerSnapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Raised after <see cref="Current"/> changed, on the publishing thread: for copies of the state that must not lag
    /// it (the XDP program's map), not for the workers, which read <see cref="Current"/> per batch.
    /// </summary>
    public event Action? Changed;

    /// <summary>The snapshot source's last snapshot as it published it: its leap indicator is the upstream majority's.</summary>
    public ServerSnapshot Source
    {
        get
        {
            lock (_lock) return _source;
        }
    }

    public void Publish(ServerSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            _source = snapshot;
            Volatile.Write(ref _current, _leap?.ApplyTo(snapshot) ?? snapshot);
        }

        Changed?.Invoke();
    }

    /// <summary>Applies the leap-second file's state to this and every later snapshot; an unchanged announcement publishes nothing.</summary>
    public void Announce(LeapAnnouncement leap)
    {
        ArgumentNullException.ThrowIfNull(leap);
        lock (_lock)
        {
            if (leap == _leap) return;
            _leap = leap;
            Volatile.Write(ref _current, leap.ApplyTo(_source));
        }

        Changed?.Invoke();
    }
}
