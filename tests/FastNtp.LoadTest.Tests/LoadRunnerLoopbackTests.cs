using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Ntp;

namespace FastNtp.LoadTest.Tests;

/// <summary>The whole generator against small in-test servers on loopback, each misbehaving in a known way.</summary>
public sealed class LoadRunnerLoopbackTests
{
    private enum Behaviour
    {
        Correct,
        EveryOtherBadMode,
        EveryReplyTwice,
    }

    /// <summary>A blocking single-thread responder; stops when disposed. Counts what it answered.</summary>
    private sealed class TestServer : IDisposable
    {
        private readonly Socket _socket;
        private readonly Thread _thread;
        private readonly Behaviour _behaviour;
        private volatile bool _stop;

        public TestServer(IPAddress address, Behaviour behaviour)
        {
            _behaviour = behaviour;
            _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100, ReceiveBufferSize = 1 << 20 };
            _socket.Bind(new IPEndPoint(address, 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint { get; }

        public int BadSent { get; private set; }

        private void Serve()
        {
            byte[] buffer = new byte[512];
            EndPoint peer = new IPEndPoint(EndPoint.Address, 0);
            int n = 0;
            while (!_stop)
            {
                int length;
                try
                {
                    length = _socket.ReceiveFrom(buffer, ref peer);
                }
                catch (SocketException)
                {
                    continue; // receive timeout: look at the stop flag again
                }

                if (!NtpHeader.TryRead(buffer.AsSpan(0, length), out NtpHeader request)) continue;
                var now = NtpTimestamp.FromDateTime(DateTime.UtcNow);
                bool bad = _behaviour == Behaviour.EveryOtherBadMode && n++ % 2 == 0;
                var reply = new NtpHeader
                {
                    Version = request.Version,
                    Mode = bad ? NtpMode.Client : NtpMode.Server,
                    Stratum = 1,
                    ReferenceId = new ReferenceId(0x4C4F434C),
                    OriginTime = request.TransmitTime,
                    ReceiveTime = now,
                    TransmitTime = now,
                };
                if (bad) BadSent++;
                byte[] packet = new byte[NtpHeader.Length];
                reply.Write(packet);
                _socket.SendTo(packet, peer);
                if (_behaviour == Behaviour.EveryReplyTwice) _socket.SendTo(packet, peer);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _socket.Dispose();
        }
    }

    private static StepResult RunOneStep(TestServer server, int threads = 2)
    {
        var settings = new LoadSettings(server.EndPoint, Clients: 4, Threads: threads,
            RateSchedule.Fixed(1000, TimeSpan.FromSeconds(0.5)), Drain: TimeSpan.FromSeconds(2), Batch: 16,
            SocketBufferBytes: 1 << 20, MaxSkew: TimeSpan.FromSeconds(10), Label: "test", Warmup: TimeSpan.Zero);
        IReadOnlyList<StepResult> results = new LoadRunner(settings).Run(_ => { }, _ => { }, CancellationToken.None);
        return Assert.Single(results);
    }

    [Fact]
    public void CorrectServer_AnswersEverythingWithLatencies()
    {
        using var server = new TestServer(IPAddress.Loopback, Behaviour.Correct);
        StepResult r = RunOneStep(server);
        Assert.InRange(r.Sent, 1, 500);
        Assert.Equal(r.Sent, r.Replies);
        Assert.Equal(0, r.Invalid);
        Assert.Equal(0, r.Duplicates);
        Assert.Equal(0, r.LossPercent);
        Assert.InRange(r.P50Nanoseconds, 1, r.P99Nanoseconds);
        Assert.InRange(r.P99Nanoseconds, r.P50Nanoseconds, r.MaxNanoseconds);
    }

    [Fact]
    public void Ipv6Loopback_Works()
    {
        using var server = new TestServer(IPAddress.IPv6Loopback, Behaviour.Correct);
        StepResult r = RunOneStep(server, threads: 1);
        Assert.True(r.Sent > 0);
        Assert.Equal(r.Sent, r.Replies);
    }

    [Fact]
    public void BadModeReplies_AreCountedInvalidAndAsLoss()
    {
        using var server = new TestServer(IPAddress.Loopback, Behaviour.EveryOtherBadMode);
        StepResult r = RunOneStep(server);
        Assert.True(r.Invalid > 0);
        Assert.Equal(r.Sent, r.Replies + r.Invalid);
        Assert.Equal($"BadMode={r.Invalid}", r.InvalidReasons);
        Assert.True(r.LossPercent > 0);
    }

    [Fact]
    public void DuplicatedReplies_AreCountedOnce()
    {
        using var server = new TestServer(IPAddress.Loopback, Behaviour.EveryReplyTwice);
        StepResult r = RunOneStep(server);
        Assert.Equal(r.Sent, r.Replies);
        Assert.Equal(r.Sent, r.Duplicates);
        Assert.Equal(0, r.Invalid);
    }
}
