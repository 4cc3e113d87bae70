using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Engine;

/// <summary>
/// The fallback engine for systems without the Linux batch engine: one System.Net.Sockets socket per
/// endpoint, shared by that endpoint's worker threads, one datagram per call through the same
/// <see cref="PacketStep"/> as the Linux engine. Receive time is read from the clock right after the receive
/// returns. It allocates nothing per packet either. Its workers share a socket, so nothing steers a client to
/// one of them: with the rate limit on, each endpoint gets one worker, whose client table is then exact.
/// </summary>
public sealed class PortableEngine(EngineSettings settings) : IPacketEngine
{
    private readonly List<Socket> _sockets = [];
    private readonly List<Thread> _threads = [];
    private readonly List<WorkerCounters> _counters = [];
    private volatile bool _stopping;

    public string Name => "portable";

    public IReadOnlyList<WorkerCounters> Counters => _counters;

    public IReadOnlyList<ClientTable> ClientTables { get; private set; } = [];

    public IReadOnlyList<IPEndPoint> BoundEndpoints => _sockets.ConvertAll(s => (IPEndPoint)s.LocalEndPoint!);

    public void Start()
    {
        try
        {
            foreach (IPEndPoint endpoint in settings.Endpoints)
                _sockets.Add(Bind(endpoint));
        }
        catch
        {
            // All or nothing: a port that is taken leaves no other socket bound.
            foreach (Socket socket in _sockets) socket.Dispose();
            _sockets.Clear();
            throw;
        }

        int workers = settings.SteerByClient ? 1 : settings.Workers;
        var tables = new List<ClientTable>();
        foreach (Socket socket in _sockets)
        {
            for (int i = 0; i < workers; i++)
            {
                var counters = new WorkerCounters();
                _counters.Add(counters);
                ClientPolicy? policy = settings.CreatePolicy(_sockets.Count * workers);
                if (policy?.Table is { } table) tables.Add(table);
                var worker = new Worker(socket, settings.Snapshots, new PacketStep(settings.CreateResponder(), policy, counters), this);
                var thread = new Thread(worker.Run)
                {
                    IsBackground = true,
                    Name = $"fastntp-portable-{socket.LocalEndPoint}-{i}",
                };
                _threads.Add(thread);
            }
        }

        ClientTables = tables;
        foreach (Thread thread in _threads) thread.Start();
    }

    public void Stop()
    {
        _stopping = true;
        // Closing the sockets wakes every blocked receive.
        foreach (Socket socket in _sockets) socket.Dispose();
        foreach (Thread thread in _threads) thread.Join();
    }

    public void Dispose() => Stop();

    private static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Separate IPv6 sockets let an operator list both 0.0.0.0:123 and [::]:123.
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.ReceiveBufferSize = 4 << 20;
            // Idle workers wake now and then so the watchdog can tell idle from stuck.
            socket.ReceiveTimeout = 200;
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class Worker(
        Socket socket, SnapshotPublisher snapshots, PacketStep step, PortableEngine engine)
    {
        public void Run()
        {
            WorkerCounters counters = step.Counters;
            byte[] request = GC.AllocateArray<byte>(PacketStep.ReceiveBufferLength, pinned: true);
            byte[] response = GC.AllocateArray<byte>(ProtocolConstants.MaxRequestLength, pinned: true);
            var peer = new SocketAddress(socket.AddressFamily);
            var clock = new RealtimeClock();

            while (!engine._stopping)
            {
                counters.Loops++;
                int length;
                try
                {
                    length = socket.ReceiveFrom(request, SocketFlags.None, peer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                    continue; // an idle socket; the loop count shows the worker is alive
                }
                catch (SocketException) when (!engine._stopping)
                {
                    // ICMP port-unreachable from an earlier reply and similar: count, never fatal.
                    counters.ReceiveErrors++;
                    continue;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                NtpTimestamp receiveTime = clock.Now();
                counters.Batches++;
                var info = new RequestInfo(receiveTime, SourcePort(peer));
                int replyLength = step.Answer(
                    request.AsSpan(0, length), info, SourceAddress(peer), MonotonicTime.Nanoseconds(), snapshots.Current, response,
                    ref clock, out _);
                if (replyLength == 0) continue;

                try
                {
                    socket.SendTo(response.AsSpan(0, replyLength), SocketFlags.None, peer);
                }
                catch (SocketException)
                {
                    counters.SendErrors++;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }

        /// <summary>The address octets of a sockaddr_in (4 at offset 4) or sockaddr_in6 (16 at offset 8).</summary>
        private static ReadOnlySpan<byte> SourceAddress(SocketAddress address) =>
            address.Family == AddressFamily.InterNetwork ? address.Buffer.Span.Slice(4, 4) : address.Buffer.Span.Slice(8, 16);

        /// <summary>sockaddr_in and sockaddr_in6 both keep the port, big-endian, at offset 2.</summary>
        private static ushort SourcePort(SocketAddress address)
        {
            Span<byte> bytes = address.Buffer.Span;
            return (ushort)((bytes[2] << 8) | bytes[3]);
        }
    }
}
