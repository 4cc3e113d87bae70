using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastNtp.Interop.Sockets;

namespace FastNtp.LoadTest;

/// <summary>
/// Simulated clients as UDP sockets, each bound to its own source port and connected to the target; requests
/// leave in sendmmsg batches round-robin over the sockets, replies come back through epoll and recvmmsg.
/// Plain NTP, or NTS with the thread's session.
/// </summary>
internal sealed class UdpTransport : ILoadTransport
{
    private const int ReceiveSlotSize = 1024;
    /// <summary>NTS replies carry a cookie per placeholder: up to about 1 kB with 7.</summary>
    private const int NtsReceiveSlotSize = 2048;

    private readonly UdpBatchSocket[] _sockets;
    /// <summary>NTS mode: this thread's session (keys, cookies, nonce counter); null in plain mode.</summary>
    private readonly NtsLoadSession? _nts;
    private readonly PacketBatch _send;
    private readonly PacketBatch _receive;
    private readonly Epoll _epoll;
    private readonly long _maxSkewNs;
    private int _nextSocket;

    public UdpTransport(int index, int socketCount, LoadSettings settings)
    {
        _sockets = new UdpBatchSocket[socketCount];
        _maxSkewNs = (long)(settings.MaxSkew.TotalMilliseconds * 1_000_000);
        IPAddress local = settings.Target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        if (!LoadSettings.IsLoopback(settings.Target.Address))
            local = settings.Target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        try
        {
            for (int i = 0; i < socketCount; i++)
            {
                var socket = UdpBatchSocket.Create(settings.Target.AddressFamily);
                _sockets[i] = socket;
                // Forced past rmem_max where permitted: replies must not be lost in the generator's own queue.
                socket.SetReceiveBufferSize(settings.SocketBufferBytes, force: true);
                socket.SetSendBufferSize(settings.SocketBufferBytes, force: true);
                // A send never blocks a step for long; a datagram the kernel will not take is a send error.
                socket.SetSendTimeout(TimeSpan.FromMilliseconds(1));
                socket.Bind(new IPEndPoint(settings.SourceAddresses > 0 ? settings.SourceAddress(index * socketCount + i) : local, 0));
                socket.Connect(settings.Target);
            }

            // Threads share the NTS-KE sessions round-robin; each thread has its own nonce counter and prefixes.
            if (settings.NtsSessions is { Count: > 0 } sessions)
                _nts = NtsLoadSession.FromKeyExchange(sessions[index % sessions.Count], settings.NtsPlaceholders);

            _send = new PacketBatch(settings.Batch, _nts?.MaxRequestLength ?? NtpProbe.RequestLength);
            _receive = new PacketBatch(settings.Batch, _nts is null ? ReceiveSlotSize : NtsReceiveSlotSize);
            // No destination per slot: the sockets are connected.
            for (int i = 0; i < _send.Capacity; i++) _send.SetLength(i, NtpProbe.RequestLength);
            _epoll = new Epoll(_sockets.Length);
            for (int i = 0; i < _sockets.Length; i++) _epoll.Add(_sockets[i].Handle, (ulong)i);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Send(int count, RequestTracker tracker, uint ntpSeconds, long nowTicks, int step, out int failed)
    {
        if (_nts is null)
        {
            for (int i = 0; i < count; i++)
                NtpProbe.WriteRequest(_send.GetBuffer(i), tracker.Next(ntpSeconds, nowTicks, step));
        }
        else
        {
            for (int i = 0; i < count; i++)
                _send.SetLength(i, _nts.WriteRequest(_send.GetBuffer(i), tracker.Next(ntpSeconds, nowTicks, step)));
        }

        int sent = _sockets[_nextSocket].SendAll(_send, count, out failed, out _);
        _nextSocket = _nextSocket + 1 == _sockets.Length ? 0 : _nextSocket + 1;
        return sent;
    }

    public void Receive(long timeoutNanoseconds, IReplySink sink)
    {
        int ready = _epoll.Wait(timeoutNanoseconds);
        for (int r = 0; r < ready; r++)
            Drain(_sockets[(int)_epoll.DataAt(r)], sink);
    }

    private void Drain(UdpBatchSocket socket, IReplySink sink)
    {
        while (true)
        {
            int n = socket.Receive(_receive, _receive.Capacity, ReceiveWait.NoWait, out _);
            if (n <= 0) return;
            long nowTicks = Stopwatch.GetTimestamp();
            long nowNs = Clocks.UnixNanosecondsNow();
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<byte> reply = _receive.GetReceived(i);
                ReplyVerdict verdict = _nts is null
                    ? NtpProbe.Verify(reply, nowNs, _maxSkewNs, out ulong origin)
                    : _nts.Verify(reply, nowNs, _maxSkewNs, out origin);
                sink.Account(verdict, origin, nowTicks);
            }

            if (n < _receive.Capacity) return;
        }
    }

    public void Dispose()
    {
        foreach (UdpBatchSocket? s in _sockets) s?.Dispose();
        _nts?.Dispose();
        _send?.Dispose();
        _receive?.Dispose();
        _epoll?.Dispose();
    }
}

/// <summary>The generator's clock readings.</summary>
internal static class Clocks
{
    public static long UnixNanosecondsNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static long TicksToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));
}
