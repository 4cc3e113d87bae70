using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Engine;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Xdp;

/// <summary>
/// What an AF_XDP worker does with one received frame: the frame codec around the <see cref="PacketStep"/> the
/// socket engine runs, the reply written over the request in place. Needs no kernel, so tests drive it alone.
/// </summary>
internal sealed class AfXdpFrameStep<TClock>(PacketStep step, TClock clock) where TClock : struct, IClock
{
    private readonly byte[] _reply = GC.AllocateArray<byte>(ProtocolConstants.MaxRequestLength, pinned: true);
    private TClock _clock = clock;

    public WorkerCounters Counters => step.Counters;

    public AfXdpCounters Frames { get; } = new();

    /// <summary>
    /// Turns one received frame into its reply in place; returns the reply frame's length, or 0 when the frame
    /// gets no answer (the codec or the responder refused it, counted by reason).
    /// </summary>
    /// <param name="metadata">The octets in front of the frame, where the XDP program left its receive time (<see cref="AfXdpReceiveTime"/>).</param>
    /// <param name="taiOffsetNanoseconds">TAI − UTC as the program's state map holds it.</param>
    /// <param name="pickedUp">The worker's clock reading as it took the batch: the receive time of a frame without a usable stamp.</param>
    public int AnswerFrame(Span<byte> frame, Span<byte> metadata, long taiOffsetNanoseconds, NtpTimestamp pickedUp, ServerSnapshot snapshot)
    {
        Frames.Frames++;
        if (!AfXdpReceiveTime.TryRead(metadata, taiOffsetNanoseconds, pickedUp, out NtpTimestamp receiveTime)) Frames.Unstamped++;
        FrameError error = UdpFrame.TryParse(frame, out UdpFrame udp);
        if (error != FrameError.None)
        {
            Frames.FrameErrors[(int)error]++;
            return 0;
        }

        bool isIPv6 = udp.IsIPv6;
        var info = new RequestInfo(receiveTime, udp.SourcePort);
        int length = step.Answer(udp.Payload, info, [], 0, snapshot, _reply, ref _clock, out _);
        if (length == 0) return 0;
        // The reply replaces the request's payload, never longer than it: it fits the frame as received.
        _reply.AsSpan(0, length).CopyTo(frame[UdpFrame.HeadersLength(isIPv6)..]);
        return UdpFrameWriter.TurnIntoReply(frame, isIPv6, length);
    }
}
