using System.Net;
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
/// The I/O half of the synchronizer: resolves the upstream names, polls each address over its own connected
/// UDP socket on one background thread, feeds the replies to the sans-I/O <see cref="SyncProcess"/>, carries
/// out its clock actions in kernel mode, and publishes every new <see cref="ServerSnapshot"/>. With
/// clock.control follow-kernel it polls nobody and mirrors the kernel's state instead.
/// </summary>
public sealed partial class Synchronizer : IDisposable
{
    /// <summary>The longest the loop sleeps, so stopping and name retries stay prompt.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ResolveRetry = TimeSpan.FromSeconds(60);

    private readonly SyncOptions _sync;
    private readonly ClockOptions _clock;
    private readonly int? _localStratum;
    private readonly SnapshotPublisher _publisher;
    private readonly sbyte _precision;
    private readonly IClock _time;
    private readonly IKernelClock? _kernel;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _stop = new();
    private readonly List<UpstreamSpec> _unresolved = [];
    private readonly List<Socket?> _sockets = [];
    private readonly SyncProcess? _process;
    private readonly List<NtsSource> _nts = [];
    private readonly Dictionary<int, NtsSource> _ntsBySource = [];
    private readonly byte[] _buffer = new byte[2048];
    private readonly byte[] _ntsBuffer = new byte[2048];
    private Thread? _thread;
    private IReadOnlyList<SourceStatus> _status = [];
    private DateTime _nextResolve;

    /// <param name="time">The time source; the system clock when null.</param>
    /// <param name="kernel">The kernel clock for kernel and follow-kernel control; the real one when null.</param>
    /// <param name="ntsCaFile">PEM CA bundle that NTS upstreams' certificates must chain to; the system store when null.</param>
    public Synchronizer(
        SyncOptions sync, ClockOptions clock, int? localStratum, SnapshotPublisher publisher, sbyte precision,
        ILogger? logger = null, IClock? time = null, IKernelClock? kernel = null, string? ntsCaFile = null)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(publisher);
        _sync = sync;
        _clock = clock;
        _localStratum = localStratum;
        _publisher = publisher;
        _precision = precision;
        _time = time ?? new RealtimeClock();
        _logger = logger ?? NullLogger.Instance;

        foreach (string upstream in sync.Upstream)
        {
            if (!UpstreamSpec.TryParse(upstream, out UpstreamSpec? spec))
                throw new ConfigurationException($"--upstream: '{upstream}' is not HOST[:PORT][,nts]");
            if (spec.Nts) _nts.Add(new NtsSource(spec, ntsCaFile));
            else _unresolved.Add(spec);
        }

        if (clock.Control is "kernel" or "follow-kernel") _kernel = kernel ?? new SystemKernelClock();
        if (clock.Control == "follow-kernel") return;
        if (clock.Control is not ("none" or "kernel"))
            throw new ConfigurationException($"Clock:Control: '{clock.Control}' is not none, kernel or follow-kernel");

        _process = new SyncProcess(new SyncProcessSettings
        {
            Control = clock.Control == "kernel" ? ClockControl.Kernel : ClockControl.None,
            MinSources = sync.MinSources,
            MaxOffset = clock.MaxOffset,
            StepThreshold = clock.StepThreshold,
            PanicThreshold = clock.PanicThreshold,
            LocalStratum = localStratum is int s ? (byte)s : null,
            Precision = precision,
        });
    }

    /// <summary>Builds a synchronizer from the whole option set (Sync, Clock and Server.LocalStratum).</summary>
    public static Synchronizer Create(
        FastNtpOptions options, SnapshotPublisher publisher, sbyte precision, ILoggerFactory? loggers = null, string? ntsCaFile = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Synchronizer(options.Sync, options.Clock, options.Server.LocalStratum, publisher, precision,
            loggers?.CreateLogger("FastNtp.Sync"), ntsCaFile: ntsCaFile);
    }

    /// <summary>Each source as last evaluated: address, stratum, reach, offset, delay, jitter, state. Safe from any thread.</summary>
    public IReadOnlyList<SourceStatus> Sources => Volatile.Read(ref _status);

    /// <summary>Per NTS upstream: cookies in hand, NTS-KE sessions and authenticated replies (read racily; for tests).</summary>
    internal IReadOnlyList<(UpstreamSpec Spec, int Cookies, int KeyExchanges, int Authenticated)> NtsState =>
        _nts.Select(n => (n.Spec, n.CookiesLeft, n.KeyExchanges, n.Authenticated)).ToList();

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The synchronizer is already running.");
        if (_clock.Control == "follow-kernel" && _unresolved.Count + _nts.Count > 0) LogUpstreamIgnored(_logger);
        _publisher.Publish(_process?.Snapshot ?? ServerSnapshot.Unsynchronized(_precision));
        if (_process is not null && _clock.Control == "kernel")
        {
            double frequency = _kernel!.Read().FrequencyPpm;
            try
            {
                // Writing back the frequency the kernel already has changes nothing, and fails now, not later, without CAP_SYS_TIME.
                _kernel.SetFrequency(frequency);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new ConfigurationException($"Clock:Control: kernel needs CAP_SYS_TIME to adjust the clock ({e.Message})");
            }

            _process.Discipline.Initialize(frequency);
        }

        _thread = new Thread(_process is null ? RunFollowKernel : RunSources) { IsBackground = true, Name = "fastntp-sync" };
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
        foreach (Socket? s in _sockets) s?.Dispose();
        _sockets.Clear();
        foreach (NtsSource n in _nts) n.Dispose();
        _stop.Dispose();
    }

    private void RunFollowKernel()
    {
        byte stratum = (byte)_clock.Stratum;
        var referenceId = ReferenceId.FromAscii(_clock.ReferenceId);
        do
        {
            try
            {
                _publisher.Publish(FollowKernel.ToSnapshot(_kernel!.Read(), stratum, referenceId, _precision, _time.Now()));
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or PlatformNotSupportedException)
            {
                LogKernelFailed(_logger, e.Message);
                _publisher.Publish(ServerSnapshot.Unsynchronized(_precision));
            }
        }
        while (!_stop.Wait(TimeSpan.FromSeconds(1)));
    }

    private void RunSources()
    {
        SyncProcess process = _process!;
        var readable = new List<Socket>();
        while (!_stop.IsSet)
        {
            try
            {
                RunSourcesOnce(process, readable);
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

    /// <summary>One pass: resolve names, run NTS-KE, send due polls, then wait for replies until the next deadline.</summary>
    private void RunSourcesOnce(SyncProcess process, List<Socket> readable)
    {
        if (_unresolved.Count > 0 && DateTime.UtcNow >= _nextResolve) Resolve(process);
        foreach (NtsSource nts in _nts) RunKeyExchange(nts, process);

        NtpTimestamp now = _time.Now();
        for (int id = 0; id < process.SourceCount; id++)
        {
            Socket? socket = _sockets[id];
            if (socket is null || !process.Source(id).IsDue(now)) continue;
            _ntsBySource.TryGetValue(id, out NtsSource? nts);
            // An NTS source without cookies waits for NTS-KE rather than polling in the clear.
            if (nts is { CanPoll: false }) continue;
            now = _time.Now();
            int length = process.Poll(id, now, RandomTransmit(), _buffer, out SyncUpdate update);
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

            Apply(update, process);
        }

        now = _time.Now();
        var wait = TimeSpan.FromSeconds(Math.Clamp((process.NextDeadline(now) - now).TotalSeconds, 0, MaxWait.TotalSeconds));
        readable.Clear();
        foreach (Socket? s in _sockets)
        {
            if (s is not null) readable.Add(s);
        }

        if (readable.Count == 0)
        {
            _stop.Wait(wait);
            return;
        }

        Socket.Select(readable, null, null, (int)Math.Max(1, wait.TotalMicroseconds));
        foreach (Socket s in readable) Drain(s, process);
    }

    private void Drain(Socket socket, SyncProcess process)
    {
        int id = _sockets.IndexOf(socket);
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
            if (_ntsBySource.TryGetValue(id, out NtsSource? nts))
            {
                NtsReplyStatus status = nts.Verify(_buffer.AsSpan(0, received));
                if (status == NtsReplyStatus.Nak) LogNtsNak(_logger, nts.Spec.ToString());
                // Only an authentic reply reaches the clock; a NAK or forgery leaves the poll unanswered.
                if (status != NtsReplyStatus.Ok) continue;
            }

            Apply(process.HandleReply(id, _buffer.AsSpan(0, received), receivedAt), process);
        }
    }

    private void Apply(in SyncUpdate update, SyncProcess process)
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

        try
        {
            switch (update.Action.Kind)
            {
                case DisciplineKind.Step:
                    LogStep(_logger, update.Action.Step.TotalSeconds);
                    _kernel!.Step(update.Action.Step);
                    break;
                case DisciplineKind.Frequency:
                    _kernel!.SetFrequency(update.Action.FrequencyPpm);
                    break;
                case DisciplineKind.Panic:
                    LogPanic(_logger, update.Action.Step.TotalSeconds, _clock.PanicThreshold);
                    break;
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // Keep serving (the snapshot stays honest about the measured offset); the operator sees why.
            LogKernelFailed(_logger, e.Message);
        }

        if (update.SnapshotChanged)
        {
            ServerSnapshot snapshot = process.Snapshot;
            bool wasSynchronized = _publisher.Current.IsSynchronized;
            _publisher.Publish(snapshot);
            if (snapshot.IsSynchronized != wasSynchronized)
            {
                if (snapshot.IsSynchronized) LogSynchronized(_logger, snapshot.Stratum, snapshot.ReferenceId.ToString(snapshot.Stratum), process.Offset);
                else LogUnsynchronized(_logger, Reason(process));
            }

            if (_clock.Control == "kernel")
            {
                double maxError = snapshot.RootDelay.TotalSeconds / 2 + snapshot.RootDispersion.TotalSeconds;
                try
                {
                    _kernel!.SetStatus(snapshot.IsSynchronized, maxError, Math.Abs(process.Offset));
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    LogKernelFailed(_logger, e.Message);
                }
            }
        }

        Volatile.Write(ref _status, process.GetStatus(_time.Now()));
    }

    private void Resolve(SyncProcess process)
    {
        for (int i = _unresolved.Count - 1; i >= 0; i--)
        {
            UpstreamSpec spec = _unresolved[i];
            IPAddress[] addresses;
            try
            {
                addresses = IPAddress.TryParse(spec.Host, out IPAddress? literal) ? [literal] : Dns.GetHostAddresses(spec.Host);
            }
            catch (SocketException e)
            {
                LogResolveFailed(_logger, spec.Host, e.Message);
                continue;
            }

            // A pool name resolving to several addresses becomes several sources.
            foreach (IPAddress address in addresses.Distinct())
            {
                var endpoint = new IPEndPoint(address, spec.Port);
                Socket? socket = null;
                try
                {
                    socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    socket.Connect(endpoint);
                }
                catch (SocketException e)
                {
                    LogSendFailed(_logger, endpoint.ToString(), e.SocketErrorCode);
                    socket?.Dispose();
                    continue;
                }

                process.AddSource(spec.Host, endpoint.ToString(), ReferenceId.FromAddress(address), _sync.MinPoll, _sync.MaxPoll, spec.Nts);
                _sockets.Add(socket);
                LogSourceAdded(_logger, spec.Host, endpoint.ToString());
            }

            _unresolved.RemoveAt(i);
        }

        _nextResolve = DateTime.UtcNow + ResolveRetry;
        Volatile.Write(ref _status, process.GetStatus(_time.Now()));
    }

    private void RunKeyExchange(NtsSource nts, SyncProcess process)
    {
        DateTime utcNow = DateTime.UtcNow;
        nts.StartKeyExchangeIfNeeded(utcNow);
        if (!nts.TryCompleteKeyExchange(utcNow, out string? error))
        {
            if (error is not null) LogNtsKeFailed(_logger, nts.Spec.ToString(), error);
            return;
        }

        LogNtsKeDone(_logger, nts.Spec.ToString(), nts.Session!.NtpServer, nts.Session.NtpPort, nts.CookiesLeft);
        if (nts.SourceId >= 0) return;

        // The first session says where NTP lives; later ones only renew keys and cookies.
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(nts.Session.NtpServer, out IPAddress? literal)
                ? literal
                : Dns.GetHostAddresses(nts.Session.NtpServer)[0];
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException)
        {
            LogResolveFailed(_logger, nts.Session.NtpServer, e.Message);
            return;
        }

        var endpoint = new IPEndPoint(address, nts.Session.NtpPort);
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(endpoint);
        }
        catch (SocketException e)
        {
            LogSendFailed(_logger, endpoint.ToString(), e.SocketErrorCode);
            socket.Dispose();
            return;
        }

        nts.SourceId = process.AddSource(nts.Spec.Host, endpoint.ToString(), ReferenceId.FromAddress(address), _sync.MinPoll, _sync.MaxPoll, nts: true);
        _sockets.Add(socket);
        _ntsBySource[nts.SourceId] = nts;
        LogSourceAdded(_logger, nts.Spec.ToString(), endpoint.ToString());
        Volatile.Write(ref _status, process.GetStatus(_time.Now()));
    }

    private string Reason(SyncProcess process)
    {
        SelectionResult? selection = process.LastSelection;
        if (selection is null) return "no selection yet";
        if (selection.IsSynchronized)
        {
            return _clock.Control == "kernel" && process.Discipline.Panicked ? "offset beyond the panic threshold"
                : $"offset {selection.Offset:0.######} s beyond Clock:MaxOffset {_clock.MaxOffset} s or a start-up step";
        }

        return selection.Status switch
        {
            SelectionStatus.NoCandidates => "no source reachable and fit",
            SelectionStatus.NoMajority => "the sources disagree: no majority",
            _ => $"{selection.Truechimers} agreeing source(s), {process.MinSources} required",
        };
    }

    private static NtpTimestamp RandomTransmit()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return new NtpTimestamp(BitConverter.ToUInt64(bytes));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Name}: polling {Address}")]
    private static partial void LogSourceAdded(ILogger logger, string name, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Name}: cannot resolve ({Reason}); retrying in a minute")]
    private static partial void LogResolveFailed(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Upstream {Address}: send failed ({Error})")]
    private static partial void LogSendFailed(ILogger logger, string address, SocketError error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Name}: NTS-KE done, NTP at {Server}:{Port}, {Cookies} cookies")]
    private static partial void LogNtsKeDone(ILogger logger, string name, string server, int port, int cookies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Name}: NTS-KE failed ({Reason}); retrying later")]
    private static partial void LogNtsKeFailed(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Name}: NTS NAK, running NTS-KE again")]
    private static partial void LogNtsNak(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An upstream source answered DENY or RSTR and is no longer polled")]
    private static partial void LogDenied(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "An upstream source answered RATE; polling it less often")]
    private static partial void LogRateLimited(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stepping the system clock by {Seconds} s (start-up offset above the step threshold)")]
    private static partial void LogStep(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offset {Seconds} s is beyond the panic threshold {Threshold} s; not touching the clock")]
    private static partial void LogPanic(ILogger logger, double seconds, double threshold);

    [LoggerMessage(Level = LogLevel.Information, Message = "Synchronized: stratum {Stratum}, reference id {ReferenceId}, offset {Offset} s")]
    private static partial void LogSynchronized(ILogger logger, byte stratum, string referenceId, double offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not synchronized ({Reason}): advertising unsynchronized (or the local stratum)")]
    private static partial void LogUnsynchronized(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "clock.control follow-kernel polls no upstream; --upstream is ignored")]
    private static partial void LogUpstreamIgnored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "The kernel clock call failed: {Reason}")]
    private static partial void LogKernelFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Synchronizer pass failed; retrying in 1 s")]
    private static partial void LogSyncFault(ILogger logger, Exception exception);
}
