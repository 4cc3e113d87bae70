using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Tests.Support;

/// <summary>A loopback UDP server that answers every request with whatever reply the test crafts from it.</summary>
public sealed class FakeNtpServer : IDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeNtpServer(Func<NtpHeader, byte[]> reply)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveResult request;
                try
                {
                    request = await _socket.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!NtpHeader.TryRead(request.Buffer, out NtpHeader header)) continue;
                await _socket.SendAsync(reply(header), request.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
        });
    }

    public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

    /// <summary>A well-formed stratum-2 reply to <paramref name="request"/>, for tests to spoil one field of.</summary>
    public static NtpHeader GoodReply(NtpHeader request)
    {
        NtpTimestamp now = NtpTimestamp.FromDateTime(DateTime.UtcNow);
        return new NtpHeader
        {
            Leap = LeapIndicator.NoWarning,
            Version = request.Version,
            Mode = NtpMode.Server,
            Stratum = 2,
            Precision = -20,
            ReferenceId = new ReferenceId(0x7F000001),
            ReferenceTime = now,
            OriginTime = request.TransmitTime,
            ReceiveTime = now,
            TransmitTime = now,
        };
    }

    public static byte[] Encode(NtpHeader header)
    {
        byte[] bytes = new byte[NtpHeader.Length];
        header.Write(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the socket; its exception is expected.
        }

        _stop.Dispose();
    }
}
