using System.Net;
using FastNtp.Interop.Sockets;
using FastNtp.Interop.Threading;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Engine;

/// <summary>
/// The Linux packet engine: for every endpoint, <see cref="EngineSettings.Workers"/> threads, each with its
/// own SO_REUSEPORT socket (the kernel spreads client flows over them), pinned batch buffers and responder,
/// moving up to <see cref="BatchSize"/> datagrams per recvmmsg/sendmmsg with kernel receive timestamps and
/// replies sent from the address each request came to.
/// </summary>
/// <remarks>
/// One thread per (worker, endpoint) rather than one thread multiplexing its sockets with epoll: a blocked
/// recvmmsg per socket cannot starve another endpoint, costs no extra system call per batch, and matches
/// <see cref="EngineSettings.Workers"/> ("worker threads per endpoint"). Threads of worker w share the pinned
/// core w. With the rate limit on, each endpoint's group steers every client address to one worker (a cBPF
/// reuseport program hashing the source address, IPv6 by prefix), so each worker's client table is exact
/// without sharing. Stop shuts the sockets' receive side, which wakes every blocked receive at once; a 200 ms receive
/// timeout backs that up.
/// </remarks>
public sealed partial class LinuxBatchEngine : IPacketEngine
{
    /// <summary>Datagrams per recvmmsg/sendmmsg; chrony and ntpd-rs use batches of this order too.</summary>
    public const int BatchSize = 64;

    /// <summary>Asked-for socket buffer size; forced past net.core.[rw]mem_max when the process may.</summary>
    public const int SocketBufferBytes = 4 << 20;

    internal static readonly TimeSpan ReceiveTimeout = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);

    private readonly EngineSettings _settings;
    private readonly ILogger _logger;
    private readonly WorkerCounters[] _counters;
    private readonly List<UdpBatchSocket> _sockets = [];
    private readonly List<BatchWorker<RealtimeClock>> _workers = [];
    private readonly List<Thread> _threads = [];
    private readonly List<IPEndPoint> _bound = [];
    private int _state; // 0 new, 1 started, 2 stopped

    public LinuxBatchEngine(EngineSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        if (settings.Endpoints.Count == 0) throw new ArgumentException("At least one endpoint is needed.", nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Workers, 1, nameof(settings));
        _settings = settings;
        _logger = logger;
        _counters = new WorkerCounters[settings.Workers * settings.Endpoints.Count];
        for (int i = 0; i < _counters.Length; i++) _counters[i] = new WorkerCounters();
    }

    /// <summary>recvmmsg/sendmmsg on Linux x86-64 or arm64.</summary>
    public static bool IsSupported => UdpBatchSocket.IsSupported;

    public string Name => "linux-batch";

    /// <summary>One entry per (worker, endpoint) thread, endpoint-major.</summary>
    public IReadOnlyList<WorkerCounters> Counters => _counters;

    public IReadOnlyList<ClientTable> ClientTables { get; private set; } = [];

    /// <summary>The endpoints actually bound (port 0 resolved), in settings order; empty before <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _bound;

    /// <summary>For tests: make workers record their thread's allocated bytes after every batch.</summary>
    internal bool TrackAllocations { get; init; }

    internal IReadOnlyList<BatchWorker<RealtimeClock>> Workers => _workers;

    public void Start()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("The Linux batch engine needs Linux on x86-64 or arm64.");
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("The engine was already started.");

        try
        {
            OpenSockets();
            CreateWorkers();
        }
        catch
        {
            DisposeResources();
            throw;
        }

        int[] cpus = _settings.PinWorkers ? CpuAffinity.GetAllowedCpus() : [];
        for (int i = 0; i < _workers.Count; i++)
        {
            BatchWorker<RealtimeClock> worker = _workers[i];
            int workerIndex = i % _settings.Workers;
            int endpointIndex = i / _settings.Workers;
            int cpu = cpus.Length > 0 ? cpus[workerIndex % cpus.Length] : -1;
            var thread = new Thread(() => RunWorker(worker, cpu))
            {
                IsBackground = true,
                Name = $"fastntp-w{workerIndex}-e{endpointIndex}",
            };
            _threads.Add(thread);
            thread.Start();
        }

        LogStarted(_logger, _settings.Workers, string.Join(", ", _bound), BatchSize, _sockets[0].ReceiveBufferSize);
    }

    public void Stop()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 1) != 1) return;
        foreach (BatchWorker<RealtimeClock> worker in _workers) worker.RequestStop();
        foreach (Thread thread in _threads)
        {
            if (!thread.Join(JoinTimeout)) LogWorkerDidNotStop(_logger, thread.Name ?? "?");
        }
    }

    public void Dispose()
    {
        Stop();
        // Buffers go only once every thread has left its loop; a thread still inside keeps them alive.
        if (_threads.TrueForAll(t => !t.IsAlive)) DisposeResources();
    }

    private void OpenSockets()
    {
        foreach (IPEndPoint requested in _settings.Endpoints)
        {
            IPEndPoint endPoint = requested;
            int first = _sockets.Count;
            for (int w = 0; w < _settings.Workers; w++)
            {
                // The first socket binds alone, so a second server on this address is refused, not given a share.
                ServerSocketRole role = w == 0 ? ServerSocketRole.FirstOfGroup : ServerSocketRole.JoinsGroup;
                var socket = UdpBatchSocket.OpenServer(endPoint, SocketBufferBytes, ReceiveTimeout, role);
                _sockets.Add(socket);
                // With port 0 the first socket picks the port; its siblings join that port.
                if (w == 0)
                {
                    endPoint = socket.LocalEndPoint;
                    _bound.Add(endPoint);
                }
            }

            if (_settings.SteerByClient && _settings.Workers > 1)
                _sockets[first].SteerBySourceAddress(_settings.Workers, _settings.Policy!.Options.Ipv6Prefix);
        }
    }

    private void CreateWorkers()
    {
        for (int i = 0; i < _sockets.Count; i++)
        {
            Responder responder = _settings.CreateResponder();
            _workers.Add(new BatchWorker<RealtimeClock>(
                _sockets[i], BatchSize, responder, _settings.CreatePolicy(_sockets.Count), _settings.Snapshots, _counters[i], default,
                TrackAllocations, _settings.HardwareClocks));
        }

        ClientTables = [.. _workers.Select(w => w.Policy?.Table).OfType<ClientTable>()];
    }

    private void RunWorker(BatchWorker<RealtimeClock> worker, int cpu)
    {
        if (cpu >= 0 && !CpuAffinity.TryPinCurrentThread(cpu, out Errno error))
            LogPinFailed(_logger, Thread.CurrentThread.Name ?? "?", cpu, error.ToString());

        try
        {
            worker.Run();
        }
        catch (Exception ex)
        {
            // A bug, not a network condition (those are counted): report it and let the other workers serve.
            LogWorkerFailed(_logger, ex, Thread.CurrentThread.Name ?? "?");
        }
    }

    private void DisposeResources()
    {
        foreach (BatchWorker<RealtimeClock> worker in _workers) worker.DisposeBuffers();
        foreach (UdpBatchSocket socket in _sockets) socket.Dispose();
        _workers.Clear();
        _sockets.Clear();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Linux batch engine: {Workers} worker(s) per endpoint on {Endpoints}, batches of {BatchSize}, receive buffer {ReceiveBuffer} bytes")]
    private static partial void LogStarted(ILogger logger, int workers, string endpoints, int batchSize, int receiveBuffer);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Could not pin {Thread} to CPU {Cpu}: {Error}; it runs unpinned")]
    private static partial void LogPinFailed(ILogger logger, string thread, int cpu, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Critical, Message = "Worker {Thread} failed and stopped")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string thread);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Worker {Thread} did not stop in time")]
    private static partial void LogWorkerDidNotStop(ILogger logger, string thread);
}
