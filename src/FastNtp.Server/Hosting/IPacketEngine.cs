using System.Net;
using FastNtp.Protocol.Server;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Hosting;

/// <summary>What every packet engine needs: where to listen, how many workers, and the shared state to serve.</summary>
/// <param name="Endpoints">Addresses to answer on.</param>
/// <param name="Workers">Worker threads per endpoint (at least 1).</param>
/// <param name="Snapshots">The state replies are built from.</param>
/// <param name="CreateResponder">Makes one responder per worker (each may hold per-thread NTS state).</param>
/// <param name="PinWorkers">Pin worker threads to cores where the engine can.</param>
public sealed record EngineSettings(
    IReadOnlyList<IPEndPoint> Endpoints, int Workers, SnapshotPublisher Snapshots, Func<Responder> CreateResponder, bool PinWorkers);

/// <summary>A set of worker loops that receive requests, run the responder and send replies.</summary>
public interface IPacketEngine : IDisposable
{
    string Name { get; }

    /// <summary>One entry per worker, summed by whoever reports.</summary>
    IReadOnlyList<WorkerCounters> Counters { get; }

    /// <summary>The endpoints actually bound, in settings order (port 0 resolved), once started.</summary>
    IReadOnlyList<IPEndPoint> BoundEndpoints { get; }

    /// <summary>Binds every socket (throwing on failure, before any worker runs) and starts the workers.</summary>
    void Start();

    /// <summary>Stops the workers and waits for them to finish their current batch.</summary>
    void Stop();
}
