using System.Net.Sockets;
using System.Security.Cryptography;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Sync;

/// <summary>
/// Follows upstream sources (clock control none or kernel): on one background thread it polls each source of
/// the <see cref="UpstreamTable"/>, feeds the replies to the sans-I/O <see cref="SyncProcess"/>, hands its clock
/// actions to the <see cref="KernelActuator"/> (kernel control) and publishes every new <see cref="ServerSnapshot"/>.
/// </summary>
public sealed partial class Synchronizer : IDisposable
{
    /// <summary>The longest the loop sleeps, so stopping and name retries stay prompt.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(500);

    private readonly ClockSettings _clock;
    private readonly SnapshotPublisher _publisher;
    private readonly IClock _time;
    private readonly ILogger _logger;
    private readonly SyncProcess _process;
    private readonly UpstreamTable _table;
    private readonly KernelActuator? _actuator;
    private readonly ManualResetEventSlim _stop = new();
    private readonly List<Socket> _readable = [];
    private readonly byte[] _buffer = new byte[2048];
    private readonly byte[] _ntsBuffer = new byte[2048];
    private Thread? _thread;
    private IReadOnlyList<SourceStatus> _status = [];

    /// <param name="clock">Control none or kernel; follow-kernel is <see cref="FollowKernelLoop"/>'s job.</param>
    /// <param name="localStratum">Served while no source is selected, when set.</param>
    /// <param name="time">The time source; the system clock when null.</param>
    /// <param name="kernel">The kernel clock kernel control drives; the real one when null.</param>
    public Synchronizer(
        SyncSettings sync, ClockSettings clock, byte? localStratum, SnapshotPublisher publisher, sbyte precision,
        ILogger? logger = null, IClock? time = null, IKernelClock? kernel = null)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(publisher);
        if (clock.Control is not (ClockControl.None or ClockControl.Kernel))
            throw new ArgumentException($"The synchronizer follows upstreams; clock control {clock.Control} is not its job.", nameof(clock));

        _clock = clock;
        _publisher = publisher;
        _time = time ?? new RealtimeClock();
        _logger = logger ?? NullLogger.Instance;
        _table = new UpstreamTable(sync.Upstream, sync.MinPoll, sync.MaxPoll, sync.NtsCa, _logger);
        if (clock.Control == ClockControl.Kernel) _actuator = new KernelActuator(kernel ?? new SystemKernelClock(), clock.PanicThreshold, _logger);

        _process = new SyncProcess(new SyncProcessSettings
        {
            Control = clock.Control,
            MinSources = sync.MinSources,
            MaxOffset = clock.MaxOffset,
            StepThreshold = clock.StepThreshold,
            PanicThreshold = clock.PanicThreshold,
            LocalStratum = localStratum,
            Precision = precision,
        });
    }

    /// <summary>Each source as last evaluated: address, stratum, reach, offset, delay, jitter, state. Safe from any thread.</summary>
    public IReadOnlyList<SourceStatus> Sources => Volatile.Read(ref _status);

    /// <summary>Per NTS upstream: cookies in hand, NTS-KE sessions and authenticated replies (read racily; for tests).</summary>
    internal IReadOnlyList<(UpstreamSpec Spec, int Cookies, int KeyExchanges, int Authenticated)> NtsState => _table.NtsState;

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The synchronizer is already running.");
        _publisher.Publish(_process.Snapshot);
        if (_actuator is not null) _process.Discipline.Initialize(_actuator.ProbeFrequency());

        _thread = new Thread(Run) { IsBackground = true, Name = "fastntp-sync" };
        _thread.Start();
    }

    public void Stop()
    {
        _stop.Set();
        _thread?.Join();
        _thread = null;
    }

    public void Dispose()
    {
        Stop();
        _table.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsSet)
        {
            try
            {
                RunOnce();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug here must not end the process: the workers keep serving the last snapshot, which
                // decays on its own, and the loop tries again after a pause.
                LogSyncFault(_logger, e);
                _stop.Wait(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>One pass: refresh the table, send due polls, then wait for replies until the next deadline.</summary>
    private void RunOnce()
    {
        if (_table.Refresh(_process)) PublishStatus();

        IReadOnlyList<Socket> sockets = _table.Sockets;
        for (int id = 0; id < sockets.Count; id++)
        {
            if (_process.Source(id).IsDue(_time.Now())) Poll(id, sockets[id]);
        }

        NtpTimestamp now = _time.Now();
        var wait = TimeSpan.FromSeconds(Math.Clamp((_process.NextDeadline(now) - now).TotalSeconds, 0, MaxWait.TotalSeconds));
        if (sockets.Count == 0)
        {
            _stop.Wait(wait);
            return;
        }

        _readable.Clear();
        _readable.AddRange(sockets);
        Socket.Select(_readable, null, null, (int)Math.Max(1, wait.TotalMicroseconds));
        foreach (Socket s in _readable) Drain(s);
    }

    private void Poll(int id, Socket socket)
    {
        NtsSource? nts = _table.NtsOf(id);
        // An NTS source without cookies waits for NTS-KE rather than polling in the clear.
        if (nts is { CanPoll: false }) return;
        int length = _process.Poll(id, _time.Now(), RandomTransmit(), _buffer, out SyncUpdate update);
        ReadOnlySpan<byte> packet = _buffer.AsSpan(0, length);
        if (nts is not null) packet = _ntsBuffer.AsSpan(0, nts.WriteRequest(packet, _ntsBuffer));
        try
        {
            socket.Send(packet);
        }
        catch (SocketException e)
        {
            // An unreachable network or an ICMP error: the poll counts as unanswered, nothing more.
            LogSendFailed(_logger, socket.RemoteEndPoint?.ToString() ?? "?", e.SocketErrorCode);
        }

        Apply(update);
    }

    private void Drain(Socket socket)
    {
        int id = IndexOf(socket);
        NtsSource? nts = _table.NtsOf(id);
        while (socket.Available > 0)
        {
            int received;
            try
            {
                received = socket.Receive(_buffer);
            }
            catch (SocketException)
            {
                // ICMP port unreachable surfaces here on a connected UDP socket; the poll stays unanswered.
                return;
            }

            NtpTimestamp receivedAt = _time.Now();
            if (nts is not null)
            {
                NtsReplyStatus status = nts.Verify(_buffer.AsSpan(0, received));
                if (status == NtsReplyStatus.Nak) LogNtsNak(_logger, nts.Spec.ToString());
                // Only an authentic reply reaches the clock; a NAK or forgery leaves the poll unanswered.
                if (status != NtsReplyStatus.Ok) continue;
            }

            Apply(_process.HandleReply(id, _buffer.AsSpan(0, received), receivedAt));
        }
    }

    private int IndexOf(Socket socket)
    {
        IReadOnlyList<Socket> sockets = _table.Sockets;
        for (int i = 0; i < sockets.Count; i++)
        {
            if (ReferenceEquals(sockets[i], socket)) return i;
        }

        throw new InvalidOperationException("A socket the table does not hold became readable.");
    }

    private void Apply(in SyncUpdate update)
    {
        switch (update.Outcome)
        {
            case ReplyOutcome.Denied:
                LogDenied(_logger);
                break;
            case ReplyOutcome.RateLimited:
                LogRateLimited(_logger);
                break;
        }

        _actuator?.Apply(update.Action);

        if (update.SnapshotChanged)
        {
            ServerSnapshot snapshot = _process.Snapshot;
            bool wasSynchronized = _publisher.Current.IsSynchronized;
            _publisher.Publish(snapshot);
            if (snapshot.IsSynchronized != wasSynchronized)
            {
                if (snapshot.IsSynchronized) LogSynchronized(_logger, snapshot.Stratum, snapshot.ReferenceId.ToString(snapshot.Stratum), Readable.Seconds(_process.Offset));
                else LogUnsynchronized(_logger, Reason());
            }

            _actuator?.SetStatus(snapshot, _process.Offset);
        }

        PublishStatus();
    }

    private void PublishStatus() => Volatile.Write(ref _status, _process.GetStatus(_time.Now()));

    private string Reason()
    {
        SelectionResult? selection = _process.LastSelection;
        if (selection is null) return "no selection yet";
        if (selection.IsSynchronized)
        {
            return _actuator is not null && _process.Discipline.Panicked ? "offset beyond the panic threshold"
                : $"offset {selection.Offset:0.######} s beyond Clock:MaxOffset {_clock.MaxOffset} s or a start-up step";
        }

        return selection.Status switch
        {
            SelectionStatus.NoCandidates => "no source reachable and fit",
            SelectionStatus.NoMajority => "the sources disagree: no majority",
            _ => $"{selection.Truechimers} agreeing source(s), {_process.MinSources} required",
        };
    }

    private static NtpTimestamp RandomTransmit()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return new NtpTimestamp(BitConverter.ToUInt64(bytes));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Upstream {Address}: send failed ({Error})")]
    private static partial void LogSendFailed(ILogger logger, string address, SocketError error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Upstream {Name}: NTS NAK, running NTS-KE again")]
    private static partial void LogNtsNak(ILogger logger, string name);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "An upstream source answered DENY or RSTR and is no longer polled")]
    private static partial void LogDenied(ILogger logger);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "An upstream source answered RATE; polling it less often")]
    private static partial void LogRateLimited(ILogger logger);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Synchronized: stratum {Stratum}, reference id {ReferenceId}, offset {Offset}")]
    private static partial void LogSynchronized(ILogger logger, byte stratum, string referenceId, string offset);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Not synchronized ({Reason}): advertising unsynchronized (or the local stratum)")]
    private static partial void LogUnsynchronized(ILogger logger, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Critical, Message = "Synchronizer pass failed; retrying in 1 s")]
    private static partial void LogSyncFault(ILogger logger, Exception exception);
}
