using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Server.Tests.Sync;

/// <summary>
/// A loopback NTP server for tests: answers every request with the packets <see cref="Answer"/> builds, so a test
/// can send honest replies, hostile ones, or both in a chosen order.
/// </summary>
internal sealed class FakeUpstream : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public FakeUpstream(Func<NtpHeader, IEnumerable<byte[]>> answer)
    {
        Answer = answer;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 100;
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    public Func<NtpHeader, IEnumerable<byte[]>> Answer { get; set; }
    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;
    public int Requests;

    /// <summary>An honest stratum-1 reply with the current time, optionally edited.</summary>
    public static byte[] Build(NtpHeader request, Func<NtpHeader, NtpHeader>? edit = null)
    {
        NtpTimestamp now = NtpTimestamp.FromDateTime(DateTime.UtcNow);
        var h = new NtpHeader
        {
            Leap = LeapIndicator.NoWarning,
            Version = request.Version,
            Mode = NtpMode.Server,
            Stratum = 1,
            Poll = request.Poll,
            Precision = -20,
            RootDelay = 0,
            RootDispersion = NtpDuration.FromMilliseconds(1).ToShortFormat(),
            ReferenceId = ReferenceId.FromAscii("GPS"),
            ReferenceTime = now,
            OriginTime = request.TransmitTime,
            ReceiveTime = now,
            TransmitTime = now,
        };
        if (edit is not null) h = edit(h);
        var bytes = new byte[NtpHeader.Length];
        h.Write(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Run()
    {
        var buffer = new byte[1024];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue;
            }

            if (!NtpHeader.TryRead(buffer.AsSpan(0, n), out NtpHeader request)) continue;
            Interlocked.Increment(ref Requests);
            foreach (byte[] packet in Answer(request)) _socket.SendTo(packet, from);
        }
    }
}
