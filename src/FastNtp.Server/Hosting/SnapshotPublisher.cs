using FastNtp.Protocol.Server;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Holds the current <see cref="ServerSnapshot"/>. Writers publish a whole new immutable instance; workers
/// read the reference once per batch, so a reply never mixes fields from two states.
/// </summary>
public sealed class SnapshotPublisher(ServerSnapshot initial)
{
    private ServerSnapshot _current = initial;

    public ServerSnapshot Current => Volatile.Read(ref _current);

    public void Publish(ServerSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
    }
}
