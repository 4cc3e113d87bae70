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
    public static async Task<QueryResult> QueryAsync(IPEndPoint server, TimeSpan timeout, CancellationToken cancellation)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);

        byte[] request = new byte[NtpHeader.Length];
        byte[] reply = new byte[1024];
        // A random transmit timestamp, as chrony sends: it reveals nothing about our clock and is hard to guess.
        var sentTransmit = new NtpTimestamp(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        ClientExchange.WriteRequest(request, sentTransmit);

        var clock = new RealtimeClock();
        NtpTimestamp t1 = clock.Now();
        await socket.SendAsync(request, SocketFlags.None, cancellation).ConfigureAwait(false);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        ClientSample? mismatched = null;
        while (true)
        {
            int length;
            try
            {
                length = await socket.ReceiveAsync(reply, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // Only replies that did not echo our request came: report those rather than silence.
                return mismatched is { } wrong ? new QueryResult(server, wrong, TimedOut: false) : new QueryResult(server, default, TimedOut: true);
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
}
