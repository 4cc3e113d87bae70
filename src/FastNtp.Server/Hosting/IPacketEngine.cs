using System.Security.Cryptography;
using System.Net;
using FastNtp.Protocol.Policy;
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
    IReadOnlyList<IPEndPoint> Endpoints, int Workers, SnapshotPublisher Snapshots, Func<Responder> CreateResponder, bool PinWorkers)
{
    /// <summary>The client policy; null (or nothing to decide) leaves it out of the packet path.</summary>
    public PolicySettings? Policy { get; init; }

    /// <summary>Server:HwTimestamp's PHC lines, for the Linux engine's sockets; null or empty: software stamps only.</summary>
    public Timestamping.HardwareClocks? HardwareClocks { get; init; }

    /// <summary>The rate limit and interleaved mode need each client address at one worker: its table is that worker's alone.</summary>
    internal bool SteerByClient => Policy is { Options.RateLimitEnabled: true } or { Options.Interleaved: true };

    /// <summary>One worker's policy, or null when there is nothing to decide.</summary>
    /// <param name="tables">How many workers share the configured entries.</param>
    internal ClientPolicy? CreatePolicy(int tables) => Policy is { IsActive: true } p ? p.Create(tables) : null;
}

/// <param name="Options">Rate limit and refusal settings (validated).</param>
/// <param name="Access">The parsed allow and deny lists.</param>
public sealed record PolicySettings(ClientPolicyOptions Options, AccessList Access)
{
    /// <summary>Anything to decide or keep: a rate limit, an access list, the NTS requirement or interleaved mode's reply times.</summary>
    public bool IsActive => Options.RateLimitEnabled || Options.RequireNts || !Access.IsEmpty || Options.Interleaved;

    /// <summary>One worker's policy; <see cref="ClientPolicyOptions.Entries"/> is shared out over <paramref name="tables"/> tables.</summary>
    public ClientPolicy Create(int tables)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tables, 1);
        ClientPolicyOptions options = Options with { Entries = Math.Max(ClientTable.Ways, Options.Entries / tables) };
        // A secret seed, so that nobody can pick addresses that share one set and evict each other.
        return new ClientPolicy(options, Access, BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))));
    }
}

/// <summary>A set of worker loops that receive requests, run the responder and send replies.</summary>
public interface IPacketEngine : IDisposable
{
    string Name { get; }

    /// <summary>One entry per worker, summed by whoever reports: address by address, the same number for each.</summary>
    IReadOnlyList<WorkerCounters> Counters { get; }

    /// <summary>The workers' client tables (rate limit on); each client is in at most one. Read from any thread.</summary>
    IReadOnlyList<ClientTable> ClientTables { get; }

    /// <summary>The endpoints actually bound, in settings order (port 0 resolved), once started.</summary>
    IReadOnlyList<IPEndPoint> BoundEndpoints { get; }

    /// <summary>Binds every socket (throwing on failure, before any worker runs) and starts the workers.</summary>
    void Start();

    /// <summary>Stops the workers and waits for them to finish their current batch.</summary>
    void Stop();
}
