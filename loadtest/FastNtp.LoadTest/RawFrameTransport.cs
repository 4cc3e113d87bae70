using System.Diagnostics;
using FastNtp.Interop.Sockets;
using FastNtp.Protocol.Frames;

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
                Verify(_receive.GetReceived(i), RawPacketSocket.IsChecksumPending(_receive, i), nowTicks, nowNs, sink);
            if (n < _receive.Capacity) return;
        }
    }

    /// <summary>Judges one received frame; frames that are not UDP from the target (ARP, neighbour discovery, ...) are none of the run's business.</summary>
    internal void Verify(ReadOnlySpan<byte> frame, bool checksumPending, long nowTicks, long nowNs, IReplySink sink)
    {
        if (UdpFrame.TryParse(frame, out UdpFrame udp, UdpChecksumPolicy.Skip) != FrameError.None || !_frames.IsFromTarget(udp)) return;
        ReplyVerdict verdict = NtpProbe.Verify(udp.Payload, nowNs, _maxSkewNs, out ulong origin);
        if (!checksumPending && UdpFrame.TryParse(frame, out _) != FrameError.None)
            verdict = ReplyVerdict.BadUdpChecksum;
        else if (verdict is ReplyVerdict.Valid or ReplyVerdict.KissOfDeath && _frames.CheckDestination(udp, origin) != ReplyVerdict.Valid)
            verdict = ReplyVerdict.WrongClient;
        sink.Account(verdict, origin, nowTicks);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _send?.Dispose();
        _receive?.Dispose();
        _epoll?.Dispose();
    }
}
