using System.Diagnostics;
using System.Security.Cryptography;
using FastNtp.Interop.Sockets;

namespace FastNtp.LoadTest;

/// <summary>
/// Raw-frame mode: simulated clients exist only as source addresses and ports in Ethernet frames that one
/// AF_PACKET socket on the generator's interface sends with sendmmsg, past the qdisc, straight to the driver, or that
/// the XDP sender (<see cref="XdpRequestSender"/>) builds and paces in the driver itself.
/// Replies are judged in one of two ways. With the reply sink (<see cref="RawFrameOptions.Sample"/> above 0) an XDP
/// program on the interface checks and counts every reply in the driver and drops it, passing one valid reply in
/// Sample up to the packet socket; without it every reply goes up. What reaches the socket from the target is parsed
/// with the frame codec, its UDP checksum verified (unless the kernel says it is left to offload) and its NTP (or NTS)
/// reply verified as in UDP mode, plus the check that it went to the client that asked.
/// </summary>
internal sealed class RawFrameTransport : ILoadTransport
{
    /// <summary>Room for any frame of a 1500-byte MTU; longer ones arrive truncated and fail to parse.</summary>
    private const int ReceiveSlotSize = 1536;

    private readonly RawPacketSocket _socket;
    private readonly RawRequestFrames _frames;
    private readonly RawNtsRequestPool? _ntsPool;
    private readonly NtsLoadSession[] _sessions;
    private readonly ReplySink? _sink;
    private readonly XdpRequestSender? _xdpSender;
    private readonly int _entries;
    /// <summary>The run's 24-bit tag in every transmit timestamp (see <see cref="ReplySink.Transmit"/>).</summary>
    private readonly uint _tag;
    private readonly PacketBatch _send;
    private readonly PacketBatch _receive;
    private readonly Epoll _epoll;
    private readonly long _maxSkewNs;

    public RawFrameTransport(RawFrameOptions options, LoadSettings settings)
    {
        _maxSkewNs = (long)(settings.MaxSkew.TotalMilliseconds * 1_000_000);
        _tag = (uint)RandomNumberGenerator.GetInt32(1, 1 << 24);
        IReadOnlyList<LoadStep> timeline = settings.Timeline;
        _entries = timeline.Count;
        _sessions = [];
        try
        {
            if (settings.NtsSessions is { Count: > 0 } keyExchanges)
            {
                _sessions = new NtsLoadSession[keyExchanges.Count];
                for (int i = 0; i < _sessions.Length; i++) _sessions[i] = NtsLoadSession.FromKeyExchange(keyExchanges[i], settings.NtsPlaceholders);
            }

            _frames = new RawRequestFrames(options, settings.Target, settings.Clients, _sessions.Length > 0 ? _sessions : null);
            if (_frames.IsNts) _ntsPool = new RawNtsRequestPool(_frames, timeline, _tag);
            _socket = RawPacketSocket.Open(options.Interface, settings.SocketBufferBytes);
            _send = new PacketBatch(settings.Batch, _frames.MaxFrameLength);
            _receive = new PacketBatch(settings.Batch, ReceiveSlotSize);
            for (int i = 0; i < _send.Capacity; i++) _send.SetLength(i, _frames.FrameLength);
            _epoll = new Epoll(1);
            _epoll.Add(_socket.Handle, 0);
            if (options.Sample > 0)
            {
                _sink = ReplySink.Load(SinkConfig(_frames, _tag, options.Sample), _entries);
                _sink.Enter(0);
                _sink.Attach(options.Interface);
            }

            if (options.Sender == RawSender.Xdp)
                _xdpSender = XdpRequestSender.Load(_frames, options.Interface, _tag, options.Sample, _ntsPool);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public bool SamplesReplies => _sink is not null;

    public IPacedSender? PacedSender => _xdpSender;

    /// <summary>What the sink checks: this run's target, clients, tag and reply lengths.</summary>
    internal static unsafe ReplySinkConfig SinkConfig(RawRequestFrames frames, uint tag, int sample)
    {
        var config = new ReplySinkConfig
        {
            FirstClient = frames.FirstClientLow,
            Addresses = (uint)frames.Addresses,
            Clients = (uint)frames.Clients,
            FirstPort = RawFrameOptions.FirstPort,
            Tag = tag,
            SampleMask = (uint)sample - 1,
            // A plain reply is exactly the header; an NTS reply at least the header, the unique identifier and an
            // authenticator (nonce and tag of 16 octets each), never longer than the longest request.
            MinLength = (uint)(frames.IsNts ? NtsMinimumReplyLength : NtpProbe.RequestLength),
            MaxLength = (uint)(frames.MaxFrameLength - Protocol.Frames.UdpFrame.HeadersLength(frames.IsIPv6)),
            TargetPort = frames.TargetPort,
            IsIPv6 = frames.IsIPv6 ? (byte)1 : (byte)0,
            IsNts = frames.IsNts ? (byte)1 : (byte)0,
        };
        frames.TargetAddress.CopyTo(new Span<byte>(config.TargetAddress, 16));
        if (frames.IsIPv6) frames.ClientAddressTemplate[..12].CopyTo(new Span<byte>(config.ClientPrefix, 12));
        return config;
    }

    /// <summary>48 + unique identifier field (4 + 32) + authenticator field (4 + 4 + 16 + 16).</summary>
    internal const int NtsMinimumReplyLength = 48 + 36 + 40;

    public int Send(int count, RequestTracker tracker, uint ntpSeconds, long nowTicks, int step, out int failed)
    {
        if (_ntsPool is { } pool)
        {
            for (int i = 0; i < count; i++)
            {
                _send.SetLength(i, pool.Next(step, _send.GetBuffer(i), out ulong transmit));
                tracker.Register(transmit, nowTicks, step);
            }
        }
        else
        {
            // With the sink the upper half carries the run's tag and the step (what the sink checks), else the send second.
            uint high = _sink is null ? ntpSeconds : ReplySink.HighWord(_tag, step);
            for (int i = 0; i < count; i++)
                _frames.Write(_send.GetBuffer(i), tracker.Next(high, nowTicks, step));
        }

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

    public void CompleteEntry(int entry, StepStats stats)
    {
        if (_sink is null) return;
        // Replies from now on count under the next entry (past the last one: nowhere).
        _sink.Enter(entry + 1);
        stats.AddSinkCounts(_sink.Read(entry));
    }

    public void Dispose()
    {
        _xdpSender?.Dispose();
        _sink?.Dispose();
        _socket?.Dispose();
        _send?.Dispose();
        _receive?.Dispose();
        _epoll?.Dispose();
        foreach (NtsLoadSession s in _sessions) s.Dispose();
    }
}
