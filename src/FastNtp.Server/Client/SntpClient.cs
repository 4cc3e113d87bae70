using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastNtp.Protocol.Client;
using FastNtp.Protocol.Ntp;
using FastNtp.Server.Hosting;

namespace FastNtp.Server.Client;

/// <summary>The outcome of one query: a sample, or why there is none.</summary>
public sealed record QueryResult(IPEndPoint Server, ClientSample Sample, bool TimedOut)
{
    public bool IsValid => !TimedOut && Sample.IsValid;
}

/// <summary>A one-shot SNTP client for operators: one request, one checked reply.</summary>
public static class SntpClient
{
    /// <summary>A send slower than this paid for first-call JIT compilation before the datagram left.</summary>
    private static readonly long SlowSend = TimeSpan.FromMilliseconds(0.1).Ticks * 100;

    /// <summary>
    /// Runs the exchange on blocking socket calls: no async machinery sits between the timestamps and the
    /// system calls they bracket.
    /// </summary>
    public static Task<QueryResult> QueryAsync(IPEndPoint server, TimeSpan timeout, CancellationToken cancellation) =>
        Task.Run(() => Query(server, timeout), cancellation);

    public static QueryResult Query(IPEndPoint server, TimeSpan timeout)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);

        byte[] request = new byte[NtpHeader.Length];
        byte[] reply = new byte[1024];
        // A random transmit timestamp, as chrony sends: it reveals nothing about our clock and is hard to guess.
        var sentTransmit = new NtpTimestamp(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        ClientExchange.WriteRequest(request, sentTransmit);

        var clock = new RealtimeClock();
        NtpTimestamp beforeSend = clock.Now();
        socket.Send(request);
        NtpTimestamp afterSend = clock.Now();
        // The datagram left during the send: its midpoint, unless the first call spent its time compiling.
        NtpDuration sendTime = afterSend - beforeSend;
        NtpTimestamp t1 = sendTime.TotalNanoseconds > SlowSend ? afterSend : beforeSend + sendTime / 2;

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        ClientSample? mismatched = null;
        while (true)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0) return NoValidReply(server, mismatched);
            socket.ReceiveTimeout = (int)remaining;
            int length;
            try
            {
                length = socket.Receive(reply);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                return NoValidReply(server, mismatched);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // ICMP port unreachable: nothing listens there; report it as no answer.
                return new QueryResult(server, default, TimedOut: true);
            }

            NtpTimestamp t4 = clock.Now();
            ClientSample sample = ClientExchange.ReadReply(reply.AsSpan(0, length), sentTransmit, t1, t4);
            // A reply that does not echo our transmit timestamp may be stale, duplicated or spoofed: keep waiting for ours.
            if (sample.Error == ReplyError.OriginMismatch)
            {
                mismatched = sample;
                continue;
            }

            return new QueryResult(server, sample, TimedOut: false);
        }
    }

    /// <summary>Only replies that did not echo our request came: report those rather than silence.</summary>
    private static QueryResult NoValidReply(IPEndPoint server, ClientSample? mismatched) =>
        mismatched is { } wrong ? new QueryResult(server, wrong, TimedOut: false) : new QueryResult(server, default, TimedOut: true);
}
