using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;

namespace FastNtp.Server.Tests.Nts;

/// <summary>A minimal loopback UDP loop around one <see cref="Responder"/>, standing in for the packet engine.</summary>
public sealed class LoopbackNtpServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Responder _responder;
    private readonly Thread _thread;
    private volatile bool _stop;

    public LoopbackNtpServer(Responder responder)
    {
        _responder = responder;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 100;
        _thread = new Thread(Run) { IsBackground = true, Name = "test-ntp" };
        _thread.Start();
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public int Answered;

    private void Run()
    {
        var request = new byte[2048];
        var response = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var clock = new RealtimeClock();
        ServerSnapshot snapshot = ServerSnapshot.LocalClock(1, -20, clock.Now());
        while (!_stop)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(request, ref from);
            }
            catch (SocketException)
            {
                continue;
            }

            NtpTimestamp receiveTime = clock.Now();
            ResponderResult result = _responder.Handle(
                request.AsSpan(0, length), new RequestInfo(receiveTime, (ushort)((IPEndPoint)from).Port), snapshot, response, ref clock);
            if (!result.ShouldRespond) continue;
            _socket.SendTo(response, 0, result.Length, SocketFlags.None, from);
            Interlocked.Increment(ref Answered);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }
}
