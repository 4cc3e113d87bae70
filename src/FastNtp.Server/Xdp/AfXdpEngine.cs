using FastNtp.Interop.Bpf;
using FastNtp.Interop.Sockets;
using FastNtp.Interop.Xsk;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Server;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Xdp;

/// <summary>
/// The AF_XDP workers: one socket, UMEM and thread per configured queue of each interface, each steered to by
/// the XDP program's XSKMAP. NTS and other extension-field requests to FastNtp's addresses reach the responder
/// here without the kernel's UDP stack; with no socket on a queue the program passes them to the socket engine.
/// </summary>
public sealed partial class AfXdpEngine : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly List<XskSocket> _sockets = [];
    private readonly List<AfXdpWorker<RealtimeClock>> _workers = [];
    private readonly List<Thread> _threads = [];
    private readonly ILogger _logger;
    private bool _stopped;

    private AfXdpEngine(ILogger logger)
    {
        _logger = logger;
    }

    public IReadOnlyList<WorkerCounters> Counters => [.. _workers.Select(w => w.Counters)];

    /// <summary>
    /// Binds a socket to each queue, starts its worker and steers the queue to it; null (and one logged line)
    /// when AF_XDP cannot be used, and the socket engine then answers every request the program passes up.
    /// </summary>
    public static AfXdpEngine? TryStart(
        XdpProgram program, XdpSettings settings, SnapshotPublisher snapshots, Func<Responder> createResponder, ILogger logger)
    {
        var engine = new AfXdpEngine(logger);
        string stage = "start";
        try
        {
            if (settings.Interfaces.Count > XdpProgram.MaxXskInterfaces)
                throw new ArgumentException($"AF_XDP serves up to {XdpProgram.MaxXskInterfaces} interfaces");
            for (int slot = 0; slot < settings.Interfaces.Count; slot++)
            {
                string name = settings.Interfaces[slot];
                int index = NetworkInterfaces.IndexOf(name);
                for (uint queue = 0; queue < settings.Queues; queue++)
                {
                    stage = $"bind to {name} queue {queue}";
                    var socket = XskSocket.Open(index, queue, settings.FrameCount, settings.Copy);
                    engine._sockets.Add(socket);
                    var worker = new AfXdpWorker<RealtimeClock>(
                        socket, createResponder(), snapshots, program.State, new WorkerCounters(), new RealtimeClock(), trackAllocations: false);
                    engine.StartWorker(worker, $"afxdp-{name}-{queue}");
                    program.SteerToSocket(index, slot, queue, socket.Descriptor);
                }
            }

            bool zeroCopy = engine._sockets.TrueForAll(s => s.IsZeroCopy);
            LogStarted(logger, string.Join(", ", settings.Interfaces), settings.Queues, zeroCopy ? "zero-copy" : "copy");
            return engine;
        }
        catch (Exception e) when (e is NativeSocketException or BpfException or ArgumentException)
        {
            engine.Dispose();
            LogUnavailable(logger, $"{stage}: {e.Message}");
            return null;
        }
    }

    public AfXdpTotals Totals()
    {
        long frames = 0, sent = 0, wakeErrors = 0, unstamped = 0, unreturned = 0;
        long[] errors = new long[AfXdpCounters.FrameErrorCount];
        foreach (AfXdpWorker<RealtimeClock> worker in _workers)
        {
            AfXdpCounters c = worker.Frames;
            frames += Volatile.Read(ref c.Frames);
            sent += Volatile.Read(ref c.Sent);
            wakeErrors += Volatile.Read(ref c.WakeErrors);
            unstamped += Volatile.Read(ref c.Unstamped);
            for (int i = 0; i < errors.Length; i++) errors[i] += Volatile.Read(ref c.FrameErrors[i]);
            if (_stopped) unreturned += worker.UnreturnedFrames;
        }

        var byReason = new Dictionary<FrameError, long>();
        for (int i = 1; i < errors.Length; i++)
        {
            if (errors[i] != 0) byReason[(FrameError)i] = errors[i];
        }

        return new AfXdpTotals(_sockets.Count, _sockets.Count > 0 && _sockets.TrueForAll(s => s.IsZeroCopy), frames, sent, wakeErrors, unstamped, byReason, unreturned);
    }

    private void StartWorker(AfXdpWorker<RealtimeClock> worker, string name)
    {
        _workers.Add(worker);
        var thread = new Thread(() => RunWorker(worker)) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void RunWorker(AfXdpWorker<RealtimeClock> worker)
    {
        try
        {
            worker.Run();
        }
        catch (Exception e)
        {
            LogWorkerFailed(_logger, e, Thread.CurrentThread.Name ?? "?");
        }
    }

    /// <summary>Stops every worker, waits for the kernel to return their frames, then closes the sockets (which empties the XSKMAP).</summary>
    public void Dispose()
    {
        if (_stopped) return;
        foreach (AfXdpWorker<RealtimeClock> worker in _workers) worker.RequestStop();
        foreach (Thread thread in _threads)
        {
            if (!thread.Join(StopTimeout)) LogStopTimeout(_logger, thread.Name ?? "?");
        }

        _stopped = true;
        long unreturned = Totals().UnreturnedFrames;
        if (unreturned != 0) LogFramesNotReturned(_logger, unreturned);
        foreach (XskSocket socket in _sockets) socket.Dispose();
    }

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "AF_XDP: NTS and extension-field requests on {Interfaces} reach the responder without the UDP stack ({Queues} queue(s) each, {Mode} mode)")]
    private static partial void LogStarted(ILogger logger, string interfaces, int queues, string mode);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "AF_XDP unavailable, NTS goes through the socket engine: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Critical, Message = "AF_XDP worker {Thread} failed and stopped")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string thread);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "AF_XDP worker {Thread} did not stop in time")]
    private static partial void LogStopTimeout(ILogger logger, string thread);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "AF_XDP: {Frames} frame(s) were still in the kernel's transmit path at shutdown")]
    private static partial void LogFramesNotReturned(ILogger logger, long frames);
}
