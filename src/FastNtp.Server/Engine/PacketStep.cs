using FastNtp.Protocol;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Metrics;

namespace FastNtp.Server.Engine;

/// <summary>
/// What every engine does with one received UDP payload, between its receive and its send: refuse what is too
/// long or malformed, consult the client policy, run the responder, count the outcome. One instance per worker
/// (it holds that worker's responder, policy and counters). Engines differ only in how bytes arrive and leave:
/// a socket batch, a single socket call, or a frame in AF_XDP memory whose UDP payload is handed here the same way.
/// </summary>
/// <param name="policy">This worker's client policy, or null when no access list, rate limit or NTS requirement is set.</param>
internal sealed class PacketStep(Responder responder, ClientPolicy? policy, WorkerCounters counters)
{
    /// <summary>
    /// Receive buffers are one byte longer than <see cref="ProtocolConstants.MaxRequestLength"/>: a datagram
    /// that fills one was longer than any request answered, and the kernel cut it.
    /// </summary>
    public const int ReceiveBufferLength = ProtocolConstants.MaxRequestLength + 1;

    public WorkerCounters Counters => counters;

    public ClientPolicy? Policy => policy;

    /// <summary>Answers one request; returns the reply's length in <paramref name="reply"/>, or 0 when there is none.</summary>
    /// <param name="request">The UDP payload as received (cut at <see cref="ReceiveBufferLength"/> bytes).</param>
    /// <param name="info">Receive time and client port.</param>
    /// <param name="source">The client's address octets (4 or 16), as the socket reported them.</param>
    /// <param name="now">Monotonic nanoseconds (<see cref="MonotonicTime"/>), read once per batch; only the policy reads it.</param>
    /// <param name="snapshot">The server state this reply describes.</param>
    /// <param name="reply">Where the reply is written; at least <see cref="ProtocolConstants.MaxRequestLength"/> bytes.</param>
    /// <param name="clock">Read by the responder for the transmit time.</param>
    /// <param name="note">What kind of reply it is, and whose, for what the engine does after sending it.</param>
    public int Answer<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ReadOnlySpan<byte> source, long now, ServerSnapshot snapshot,
        Span<byte> reply, ref TClock clock, out ReplyNote note)
        where TClock : struct, IClock
    {
        note = ReplyNote.Untracked;
        counters.Received++;
        if (request.Length > ProtocolConstants.MaxRequestLength)
        {
            // Counted as an oversize drop, not a receive error: the datagram arrived, we refuse to answer it.
            counters.Dropped[(int)DropReason.Oversize]++;
            return 0;
        }

        // Only well-formed client requests reach the policy: other traffic (mode 6/7, replies) would otherwise
        // earn DENY kisses and take table entries.
        DropReason reason = responder.Inspect(request, info.SourcePort, out NtsRequestFields nts);
        if (reason != DropReason.None)
        {
            counters.Dropped[(int)reason]++;
            return 0;
        }

        RequestInfo answered = info;
        ClientAddress client = default;
        int tableIndex = -1;
        if (policy is not null && ClientAddress.TryCreate(source, out client))
        {
            PolicyDecision decision = policy.Decide(client, nts.HasCookie, now, out tableIndex);
            if (decision != PolicyDecision.Allow)
            {
                counters.Refused[(int)decision.Counter()]++;
                int length = policy.WriteKiss(decision, request, reply);
                if (length > 0) note = ReplyNote.Kiss;
                return length;
            }

            if (policy.Table is { KeepsReplyTimes: true } table) answered = info with { Previous = table.PreviousReply(tableIndex) };
            else tableIndex = -1;
        }

        ResponderResult result;
        try
        {
            result = responder.Answer(request, nts, answered, snapshot, reply, ref clock);
        }
        catch (Exception)
        {
            // The responder must never throw; if a bug makes it, only this packet is lost (no reply, never a
            // half-written one) and the worker carries on.
            counters.Faults++;
            return 0;
        }

        counters.Count(result);
        if (!result.ShouldRespond) return 0;
        if (result.Interleaved)
        {
            policy!.Table!.ForgetTransmit(tableIndex);
            counters.Interleaved++;
        }

        // A NAK is no reply to build on: the client starts over with a new key exchange.
        if (tableIndex >= 0 && (result.Nts & NtsOutcome.Nak) == 0) note = new ReplyNote(false, result.Interleaved, tableIndex, client);
        return result.Length;
    }
}

/// <summary>What <see cref="PacketStep.Answer"/> wrote, for what the engine does before and after the send.</summary>
/// <param name="IsKiss">A kiss-o'-death, whose timestamps must stay as written (no transmit time).</param>
/// <param name="Interleaved">An interleaved reply: its transmit time is the previous reply's and must stay as written.</param>
/// <param name="TableIndex">The client's entry in a table that keeps reply times (interleaved mode on), or -1.</param>
/// <param name="Client">The client's address when <paramref name="TableIndex"/> is one.</param>
internal readonly record struct ReplyNote(bool IsKiss, bool Interleaved, int TableIndex, ClientAddress Client)
{
    public static ReplyNote Untracked => new(false, false, -1, default);

    public static ReplyNote Kiss => new(true, false, -1, default);

    /// <summary>The reply's times are to be recorded in its client's entry once it is sent.</summary>
    public bool Tracked => TableIndex >= 0;
}
