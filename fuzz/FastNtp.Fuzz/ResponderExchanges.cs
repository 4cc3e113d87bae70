using System.Buffers.Binary;
using FastNtp.Protocol;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Policy;
using FastNtp.Protocol.Server;
using FastNtp.Server.Engine;
using FastNtp.Server.Metrics;

namespace FastNtp.Fuzz;

/// <summary>What the first octet of a responder target's input turns on in the server.</summary>
[Flags]
internal enum FuzzServer : byte
{
    None = 0,
    /// <summary><c>Server:Interleaved</c>: the client table keeps each client's last reply times.</summary>
    Interleaved = 1,
    /// <summary><c>RateLimit:Enabled</c> with a burst of 2 a second, half the refusals kissed.</summary>
    RateLimit = 2,
}

/// <summary>One request of a responder target's input: who sends it, when, and what becomes of its reply's transmit stamp.</summary>
/// <param name="Source">Index into <see cref="ResponderExchanges.Sources"/>; past its end the request has no address (the AF_XDP worker's case).</param>
/// <param name="Stamp">Whether the kernel's transmit stamp of the reply arrives, after its batch is sent or only after the next batch.</param>
/// <param name="SameBatch">Received in the same batch as the request before it: both are answered before either reply is recorded.</param>
/// <param name="Seconds">Seconds since the previous request (0 to 3), on the policy's clock and the served clock alike.</param>
internal readonly record struct FuzzExchange(
    int Source, ushort Port, byte[] Request, FuzzStamp Stamp = FuzzStamp.None, bool SameBatch = false, int Seconds = 0)
{
    public const int HeaderLength = 5;

    /// <summary>The exchange as the target reads it: flags (source, stamp, batch, seconds), port, length, then the datagram.</summary>
    public byte[] Encode()
    {
        byte[] encoded = new byte[HeaderLength + Request.Length];
        encoded[0] = (byte)(Source | (int)Stamp << 3 | (SameBatch ? 1 << 5 : 0) | Seconds << 6);
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(1), Port);
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(3), (ushort)Request.Length);
        Request.CopyTo(encoded, HeaderLength);
        return encoded;
    }
}

internal enum FuzzStamp
{
    None = 0,
    /// <summary>The stamp is read right after its batch was sent.</summary>
    Now = 1,
    /// <summary>The stamp is read only after the next batch was sent.</summary>
    Late = 2,
}

/// <summary>
/// The responder targets: a sequence of requests from a few clients, answered by one worker's
/// <see cref="PacketStep"/> (the client policy and its table, then the responder) and recorded as the batch engine
/// records what it sent (<c>BatchWorker.RecordReplies</c> after each batch, <c>TransmitStamps</c>), so interleaved
/// mode meets real previous exchanges: a follow-up naming the last reply, a replay, a stale or mismatched origin,
/// another client of the same IPv6 prefix, two requests in one batch, a stamp that comes late. Input: one
/// <see cref="FuzzServer"/> octet, then up to <see cref="MaxExchanges"/> encoded <see cref="FuzzExchange"/>s (the
/// last one's datagram cut where the input ends).
/// </summary>
/// <remarks>
/// Checked on every reply: no exception (the step counts one as a fault), never longer than its request, never to
/// mode 6 or 7, always mode 4; an interleaved reply only with interleaved mode on, with the request's receive time
/// as origin, and with a transmit time recorded for its client's table entry that no interleaved reply to that
/// entry carried before (the table forgets it once carried, so a replay cannot get it twice).
/// Time: every clock read moves on by an even number of NTP units, and a transmit stamp comes an odd number after
/// its written time, so two transmit times of one entry are never equal by chance.
/// </remarks>
internal static class ResponderExchanges
{
    public const int MaxExchanges = 16;

    /// <summary>Two IPv4 clients, two IPv6 clients sharing one /64 (one table entry), an IPv6 client of another /64.</summary>
    public static readonly byte[][] Sources =
    [
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    ];

    public static byte[] Encode(FuzzServer server, params FuzzExchange[] exchanges) =>
        [(byte)server, .. exchanges.SelectMany(e => e.Encode())];

    /// <summary>Runs the input's requests through one worker; <paramref name="replies"/>, when given, gets each reply (empty for none).</summary>
    public static void Run(Responder responder, ReadOnlySpan<byte> input, List<byte[]>? replies = null)
    {
        if (input.IsEmpty) return;
        var server = (FuzzServer)input[0];
        var worker = new Worker(responder, server);
        ReadOnlySpan<byte> rest = input[1..];
        for (int n = 0; n < MaxExchanges && rest.Length >= FuzzExchange.HeaderLength; n++)
        {
            int flags = rest[0];
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(rest[3..]), rest.Length - FuzzExchange.HeaderLength);
            ReadOnlySpan<byte> request = rest.Slice(FuzzExchange.HeaderLength, length);
            rest = rest[(FuzzExchange.HeaderLength + length)..];

            if ((flags & 1 << 5) == 0) worker.SendBatch();
            ReadOnlySpan<byte> reply = worker.Answer(flags & 0x7, port, request, (FuzzStamp)((flags >> 3) & 0x3), flags >> 6);
            replies?.Add(reply.ToArray());
        }

        worker.SendBatch();
    }

    /// <summary>One worker's step and table, and what the target knows of the times it handed out.</summary>
    private sealed class Worker
    {
        private static readonly NtpDuration StampDelay = new(4097);

        private readonly bool _interleaved;
        private readonly ClientTable? _table;
        private readonly WorkerCounters _counters = new();
        private readonly PacketStep _step;
        private readonly List<Sent> _batch = [];
        private readonly List<Sent> _late = [];
        /// <summary>Transmit times a table entry (by its key) was given, and those an interleaved reply carried.</summary>
        private readonly HashSet<(ClientAddress Entry, NtpTimestamp Transmit)> _recorded = [], _carried = [];
        private SteppingClock _clock = new(FixedClock.Time);
        private long _now;

        public Worker(Responder responder, FuzzServer server)
        {
            _interleaved = (server & FuzzServer.Interleaved) != 0;
            ClientPolicy? policy = (server & (FuzzServer.Interleaved | FuzzServer.RateLimit)) == 0
                ? null
                : new ClientPolicy(
                    new ClientPolicyOptions
                    {
                        RateLimitEnabled = (server & FuzzServer.RateLimit) != 0,
                        Interval = TimeSpan.FromSeconds(1),
                        Burst = 2,
                        KodShare = 0.5,
                        Entries = ClientTable.Ways,
                        Interleaved = _interleaved,
                    },
                    AccessList.AllowAll, seed: 1);
            _table = policy?.Table;
            _step = new PacketStep(responder, policy, _counters);
        }

        public ReadOnlySpan<byte> Answer(int source, ushort port, ReadOnlySpan<byte> request, FuzzStamp stamp, int seconds)
        {
            _now += seconds * 1_000_000_000L;
            _clock.Advance(seconds);
            var info = new RequestInfo(_clock.Now(), port);
            int length = _step.Answer(
                request, info, source < Sources.Length ? Sources[source] : [], _now, Fixtures.Snapshot, Fixtures.Response, ref _clock,
                out ReplyNote note);
            if (_counters.Faults != 0) throw new InvariantException("the responder threw (the step counted a fault)");
            ReadOnlySpan<byte> reply = Fixtures.Response.AsSpan(0, length);
            if (length == 0) return reply;

            if (reply.Length > request.Length) throw new InvariantException($"reply of {reply.Length} octets to a request of {request.Length}");
            if ((request[0] & 0x7) is 6 or 7) throw new InvariantException("a reply to a mode 6/7 request");
            if ((reply[0] & 0x7) != (int)NtpMode.Server) throw new InvariantException("a reply that is not mode 4");
            if (note.Interleaved) CheckInterleaved(request, reply, note);
            if (note.Tracked)
                _batch.Add(new Sent(note, NtpHeader.ReadReceiveTime(reply), note.Interleaved ? default : NtpHeader.ReadTransmitTime(reply), stamp));
            return reply;
        }

        private void CheckInterleaved(ReadOnlySpan<byte> request, ReadOnlySpan<byte> reply, in ReplyNote note)
        {
            if (!_interleaved) throw new InvariantException("an interleaved reply with interleaved mode off");
            if (NtpHeader.ReadOriginTime(reply) != NtpHeader.ReadReceiveTime(request))
                throw new InvariantException("an interleaved reply whose origin is not the request's receive time");
            (ClientAddress Entry, NtpTimestamp Transmit) carried = (_table!.KeyOf(note.Client), NtpHeader.ReadTransmitTime(reply));
            if (!_recorded.Contains(carried)) throw new InvariantException($"an interleaved reply carried {carried.Transmit}, never recorded for its client's entry");
            if (!_carried.Add(carried)) throw new InvariantException($"an interleaved reply carried {carried.Transmit} a second time");
        }

        /// <summary>
        /// As the batch engine once the kernel took the batch: records each tracked reply (receive time as written;
        /// transmit time as written, or for an interleaved reply the time the batch is sent), then reads the stamps
        /// queued: this batch's prompt ones and the previous batch's late ones.
        /// </summary>
        public void SendBatch()
        {
            if (_table is null) return;
            NtpTimestamp sendTime = _clock.Now();
            var late = new List<Sent>();
            foreach (Sent sent in _batch)
            {
                NtpTimestamp written = sent.Note.Interleaved ? sendTime : sent.Transmit;
                _table.RecordReply(sent.Note.TableIndex, sent.Note.Client, sent.Receive, written);
                _recorded.Add((_table.KeyOf(sent.Note.Client), written));
                Sent stamped = sent with { Transmit = written + StampDelay };
                if (sent.Stamp == FuzzStamp.Now) ApplyStamp(stamped);
                else if (sent.Stamp == FuzzStamp.Late) late.Add(stamped);
            }

            foreach (Sent sent in _late) ApplyStamp(sent);
            _batch.Clear();
            _late.Clear();
            _late.AddRange(late);
        }

        /// <summary>A kernel transmit stamp put into its reply's entry, as <c>TransmitStamps.Apply</c> does when it still holds that reply.</summary>
        private void ApplyStamp(Sent sent)
        {
            if (_table!.UpdateTransmit(sent.Note.TableIndex, sent.Note.Client, sent.Receive, sent.Transmit))
                _recorded.Add((_table.KeyOf(sent.Note.Client), sent.Transmit));
        }

        private readonly record struct Sent(ReplyNote Note, NtpTimestamp Receive, NtpTimestamp Transmit, FuzzStamp Stamp);
    }

    /// <summary>A clock that moves on by 2^16 NTP units (about 15 µs) at every read, and by whole seconds between requests.</summary>
    private struct SteppingClock(NtpTimestamp start) : IClock
    {
        private static readonly NtpDuration ReadStep = new(1 << 16);
        private NtpTimestamp _time = start;

        public NtpTimestamp Now() => _time += ReadStep;

        public void Advance(int seconds) => _time += new NtpDuration((long)seconds << 32);
    }
}
