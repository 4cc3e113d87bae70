using System.Diagnostics;
using FastNtp.Interop.Sockets;

namespace FastNtp.LoadTest;

/// <summary>
/// Raw-frame mode: simulated clients exist only as source addresses and ports in Ethernet frames that one
/// AF_PACKET socket on the generator's interface sends with sendmmsg, past the qdisc, straight to the driver;
/// the same socket receives every frame the interface sees, and the ones from the target are parsed with the
/// frame codec, their UDP checksum verified (unless the kernel says it is left to offload) and their NTP
/// reply verified as in UDP mode, plus the check that it went to the client that asked.
/// </summary>
internal sealed class RawFrameTransport : ILoadTransport
{
    /// <summary>Room for any frame of a 1500-byte MTU; longer ones arrive truncated and fail to parse.</summary>
    private const int ReceiveSlotSize = 1536;

    private readonly RawPacketSocket _socket;
    private readonly RawRequestFrames _frames;
    private readonly PacketBatch _send;
    private readonly PacketBatch _receive;
    private readonly Epoll _epoll;
    private readonly long _maxSkewNs;

    public RawFrameTransport(RawFrameOptions options, LoadSettings settings)
    {
        _frames = new RawRequestFrames(options, settings.Target, settings.Clients);
        _maxSkewNs = (long)(settings.MaxSkew.TotalMilliseconds * 1_000_000);
        _socket = RawPacketSocket.Open(options.Interface, settings.SocketBufferBytes);
        try
        {
            _send = new PacketBatch(settings.Batch, _frames.FrameLength);
            _receive = new PacketBatch(settings.Batch, ReceiveSlotSize);
            for (int i = 0; i < _send.Capacity; i++) _send.SetLength(i, _frames.FrameLength);
            _epoll = new Epoll(1);
            _epoll.Add(_socket.Handle, 0);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Send(int count, RequestTracker tracker, uint ntpSeconds, long nowTicks, int step, out int failed)
    {
        for (int i = 0; i < count; i++)
            _frames.Write(_send.GetBuffer(i), tracker.Next(ntpSeconds, nowTicks, step));
        return _socket.Send(_send, count, out failed, out _);
    }

    public void Receive(long timeoutNanoseconds, IReplySink sink)
    {
        if (_epoll.Wait(timeoutNanoseconds) == 0) return;
        while (true)
        {
            int n = _socket.Receive(_receive, _receive.Capacity, out _);
            if (n <= 0) return;
            long nowTicks = Stopwatch.GetTimestamp();
            long nowNs = Clocks.UnixNanosecondsNow();
            for (int i = 0; i < n; i++)
            {
                if (_frames.TryJudgeReply(_receive.GetReceived(i), RawPacketSocket.IsChecksumPending(_receive, i), nowNs, _maxSkewNs,
                        out ReplyVerdict verdict, out ulong origin))
                {
                    sink.Account(verdict, origin, nowTicks);
                }
            }

            if (n < _receive.Capacity) return;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _send?.Dispose();
        _receive?.Dispose();
        _epoll?.Dispose();
    }
}
