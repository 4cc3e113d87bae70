using FastNtp.Protocol;
using FastNtp.Protocol.Server;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Engine;

/// <summary>
/// What every engine does with one received UDP payload, between its receive and its send: refuse what is too
/// long, run the responder, count the outcome. One instance per worker (it holds that worker's responder and
/// counters). Engines differ only in how bytes arrive and leave: a socket batch, a single socket call, or a
/// frame in AF_XDP memory whose UDP payload is handed here the same way.
/// </summary>
internal sealed class PacketStep(Responder responder, WorkerCounters counters)
{
    /// <summary>
    /// Receive buffers are one byte longer than <see cref="ProtocolConstants.MaxRequestLength"/>: a datagram
    /// that fills one was longer than any request answered, and the kernel cut it.
    /// </summary>
    public const int ReceiveBufferLength = ProtocolConstants.MaxRequestLength + 1;

    public WorkerCounters Counters => counters;

    /// <summary>Answers one request; returns the reply's length in <paramref name="reply"/>, or 0 when there is none.</summary>
    /// <param name="request">The UDP payload as received (cut at <see cref="ReceiveBufferLength"/> bytes).</param>
    /// <param name="info">Receive time and client port.</param>
    /// <param name="snapshot">The server state this reply describes.</param>
    /// <param name="reply">Where the reply is written; at least <see cref="ProtocolConstants.MaxRequestLength"/> bytes.</param>
    /// <param name="clock">Read by the responder for the transmit time.</param>
    public int Answer<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, Span<byte> reply, ref TClock clock)
        where TClock : struct, IClock
    {
        counters.Received++;
        if (request.Length > ProtocolConstants.MaxRequestLength)
        {
            // Counted as an oversize drop, not a receive error: the datagram arrived, we refuse to answer it.
            counters.Dropped[(int)DropReason.Oversize]++;
            return 0;
        }

        // The per-client policy (access list, rate limit, kiss-o'-death) belongs here: after the cheap size check,
        // before the responder spends any work on the request.
        ResponderResult result;
        try
        {
            result = responder.Handle(request, info, snapshot, reply, ref clock);
        }
        catch (Exception)
        {
            // The responder must never throw; if a bug makes it, only this packet is lost (no reply, never a
            // half-written one) and the worker carries on.
            counters.Faults++;
            return 0;
        }

        counters.Count(result);
        return result.ShouldRespond ? result.Length : 0;
    }
}
