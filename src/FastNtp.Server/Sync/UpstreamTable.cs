using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Sync;

/// <summary>
/// The upstream sources as the network sees them: names still to resolve, NTS sources waiting for their first
/// NTS-KE, and, per source id of the <see cref="SyncProcess"/>, the connected UDP socket that polls it and its
/// NTS layer if any. Every source is added to the process here, so ids and sockets stay in step.
/// Used from the synchronizer thread only.
/// </summary>
internal sealed partial class UpstreamTable : IDisposable
{
    private static readonly TimeSpan ResolveRetry = TimeSpan.FromSeconds(60);

    private readonly int _minPoll;
    private readonly int _maxPoll;
    private readonly ILogger _logger;
    private readonly List<UpstreamSpec> _unresolved = [];
    private readonly List<NtsSource> _nts = [];
    private readonly List<Socket> _sockets = [];
    private readonly Dictionary<int, NtsSource> _ntsBySource = [];
    private DateTime _nextResolve;

    /// <param name="upstreams">The configured sources.</param>
    /// <param name="minPoll">Poll interval bounds, log2 seconds, for every source added.</param>
    /// <param name="maxPoll">See <paramref name="minPoll"/>.</param>
    /// <param name="ntsCaFile">PEM CA bundle NTS upstreams' certificates must chain to; the system store when null.</param>
    public UpstreamTable(IReadOnlyList<UpstreamSpec> upstreams, int minPoll, int maxPoll, string? ntsCaFile, ILogger logger)
    {
        _minPoll = minPoll;
        _maxPoll = maxPoll;
        _logger = logger;
        foreach (UpstreamSpec spec in upstreams)
        {
            if (spec.Nts) _nts.Add(new NtsSource(spec, ntsCaFile));
            else _unresolved.Add(spec);
        }
    }

    /// <summary>Per NTS upstream: cookies in hand, NTS-KE sessions and authenticated replies (read racily; for tests).</summary>
    public IReadOnlyList<(UpstreamSpec Spec, int Cookies, int KeyExchanges, int Authenticated)> NtsState =>
        _nts.Select(n => (n.Spec, n.CookiesLeft, n.KeyExchanges, n.Authenticated)).ToList();

    /// <summary>Sockets in source-id order; the index of a socket is its source's id.</summary>
    public IReadOnlyList<Socket> Sockets => _sockets;

    /// <summary>The NTS layer of source <paramref name="id"/>, or null for a plain NTP source.</summary>
    public NtsSource? NtsOf(int id) => _ntsBySource.GetValueOrDefault(id);

    /// <summary>
    /// Resolves names when due (a minute after a failure) and advances every NTS-KE; each address found and each
    /// first NTS session becomes a source of <paramref name="process"/>. Returns whether any source was added.
    /// </summary>
    public bool Refresh(SyncProcess process)
    {
        int before = _sockets.Count;
        if (_unresolved.Count > 0 && DateTime.UtcNow >= _nextResolve) Resolve(process);
        foreach (NtsSource nts in _nts) RunKeyExchange(nts, process);
        return _sockets.Count != before;
    }

    public void Dispose()
    {
        foreach (Socket s in _sockets) s.Dispose();
        _sockets.Clear();
        foreach (NtsSource n in _nts) n.Dispose();
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
                TryAdd(process, spec.Host, new IPEndPoint(address, spec.Port), nts: false);

            _unresolved.RemoveAt(i);
        }

        _nextResolve = DateTime.UtcNow + ResolveRetry;
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

        if (TryAdd(process, nts.Spec.Host, new IPEndPoint(address, nts.Session.NtpPort), nts: true) is int id)
        {
            nts.SourceId = id;
            _ntsBySource[id] = nts;
        }
    }

    /// <summary>Connects a socket to <paramref name="endpoint"/> and adds the source; null when the socket cannot connect.</summary>
    private int? TryAdd(SyncProcess process, string name, IPEndPoint endpoint, bool nts)
    {
        Socket? socket = null;
        try
        {
            socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(endpoint);
        }
        catch (SocketException e)
        {
            LogConnectFailed(_logger, endpoint.ToString(), e.SocketErrorCode);
            socket?.Dispose();
            return null;
        }

        int id = process.AddSource(name, endpoint.ToString(), ReferenceId.FromAddress(endpoint.Address), _minPoll, _maxPoll, nts);
        _sockets.Add(socket);
        LogSourceAdded(_logger, name, endpoint.ToString());
        return id;
    }

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Upstream {Name}: polling {Address}")]
    private static partial void LogSourceAdded(ILogger logger, string name, string address);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Upstream {Name}: cannot resolve ({Reason}); retrying in a minute")]
    private static partial void LogResolveFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "Upstream {Address}: connect failed ({Error})")]
    private static partial void LogConnectFailed(ILogger logger, string address, SocketError error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Upstream {Name}: NTS-KE done, NTP at {Server}:{Port}, {Cookies} cookies")]
    private static partial void LogNtsKeDone(ILogger logger, string name, string server, int port, int cookies);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Upstream {Name}: NTS-KE failed ({Reason}); retrying later")]
    private static partial void LogNtsKeFailed(ILogger logger, string name, string reason);
}
