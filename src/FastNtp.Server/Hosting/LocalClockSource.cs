using FastNtp.Protocol.Server;

namespace FastNtp.Server.Hosting;

/// <summary>
/// Serves the machine's own clock at a fixed stratum (reference id LOCL), refreshing the reference time
/// every second so dispersion stays small, the way chrony's `local stratum N` does.
/// </summary>
public sealed class LocalClockSource(SnapshotPublisher publisher, byte stratum, sbyte precision) : IDisposable
{
    private Timer? _timer;

    public void Start()
    {
        Refresh();
        _timer = new Timer(_ => Refresh(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Refresh() =>
        publisher.Publish(ServerSnapshot.LocalClock(stratum, precision, new RealtimeClock().Now()));

    public void Dispose() => _timer?.Dispose();
}
