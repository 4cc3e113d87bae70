using System.Net;
using System.Net.Sockets;

namespace FastNtp.Tests.Shared;

/// <summary>
/// A UDP server on 127.0.0.1 that answers each datagram with whatever datagrams <see cref="Answer"/> returns (none, one or
/// several), on one background thread. The base of the fake NTP servers: tests decide every byte the client sees.
/// </summary>
public sealed class LoopbackUdpServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _thread;
    private volatile Func<byte[], IPEndPoint, IEnumerable<byte[]>> _answer;
    private volatile bool _stopping;
    private int _requests;
    private int _replies;

    /// <param name="answer">Gets each request (exactly its bytes) and its sender; returns the datagrams to send back, in order.</param>
    public LoopbackUdpServer(Func<byte[], IPEndPoint, IEnumerable<byte[]>> answer)
    {
        _answer = answer;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // Wakes the loop every 100 ms so Dispose never waits on a blocked receive.
        _socket.ReceiveTimeout = 100;
        _thread = new Thread(Run) { IsBackground = true, Name = "test-udp-server" };
        _thread.Start();
    }

    /// <summary>Replaceable while running, e.g. to make the server fall silent.</summary>
    public Func<byte[], IPEndPoint, IEnumerable<byte[]>> Answer
    {
        get => _answer;
        set => _answer = value;
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Datagrams received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Datagrams sent so far.</summary>
    public int Replies => Volatile.Read(ref _replies);

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }

    private void Run()
    {
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue; // the receive timeout, or an ICMP error from an earlier reply
            }

            Interlocked.Increment(ref _requests);
            foreach (byte[] reply in _answer(buffer[..length], (IPEndPoint)from))
            {
                _socket.SendTo(reply, from);
                Interlocked.Increment(ref _replies);
            }
        }
    }
}
