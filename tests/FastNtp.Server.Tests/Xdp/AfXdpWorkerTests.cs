using System.Runtime.InteropServices;
using FastNtp.Crypto;
using FastNtp.Interop.Bpf;
using FastNtp.Interop.Clock;
using FastNtp.Interop.Threading;
using FastNtp.Interop.Time;
using FastNtp.Interop.Xsk;
using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Xdp;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// One AF_XDP worker on a live XSK socket: the XDP program attached to the server end of a veth pair in network
/// namespaces the test makes, the socket bound to its queue in copy mode, NTS requests sent from the client
/// namespace through the kernel's UDP stack. Needs root (CAP_BPF, CAP_NET_ADMIN), clang and ethtool.
/// </summary>
public sealed class AfXdpWorkerTests : IDisposable
{
    private const int FrameCount = 1024;
    private const int Batch = 64;
    private const byte Stratum = 2;
    /// <summary>enum xdp_action's XDP_REDIRECT.</summary>
    private const uint XdpRedirect = 4;
    /// <summary>The loopback's interface index, in every network namespace.</summary>
    private const int Loopback = 1;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(2);

    private readonly VethNamespacePair _net = new();
    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), 1000, 7));
    private readonly NtsResponder _nts;
    private readonly SnapshotPublisher _snapshots = new(ServerSnapshot.LocalClock(Stratum, -20, new RealtimeClock().Now()));
    private XdpProgram? _program;
    private BpfLink? _link;
    private XskSocket? _socket;

    public AfXdpWorkerTests()
    {
        _nts = new NtsResponder(_store);
        try
        {
            // The program, its attachment and the socket belong to the namespace of the thread that makes them.
            InNamespace(_net.ServerNamespace, () =>
            {
                _program = XdpProgram.Load([new IPEndPoint(IPAddress.Parse(_net.ServerV4), ProtocolConstants.NtpPort)], XdpService.StaleAfter,
                    new XdpPolicy(new ClientPolicyOptions(), [], [], Nts: true));
                _link = _program.Attach(VethNamespacePair.ServerInterface, XdpAttachMode.Native);
                int index = NetworkInterfaces.IndexOf(VethNamespacePair.ServerInterface);
                _socket = XskSocket.Open(index, 0, FrameCount, XskBindMode.Copy);
                _program.SteerToSocket(index, 0, 0, _socket.Descriptor);
            });
            // The TAI−UTC offset the worker converts the program's stamps with, as XdpService publishes it.
            _program!.State.Publish(_snapshots.Current, KernelClock.Read().Tai * 1_000_000_000L, SystemTai.Nanoseconds());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _link?.Dispose();
        _program?.Dispose();
        _nts.Dispose();
        _net.Dispose();
    }

    private static void InNamespace(string name, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.EnterOnThisThread(name);
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException($"set-up in namespace {name} failed: {failure.Message}", failure);
    }

    /// <summary>A worker on the socket, running on its own thread until disposed.</summary>
    private sealed class RunningWorker<TClock> : IDisposable where TClock : struct, IClock
    {
        private readonly Thread _thread;

        public RunningWorker(AfXdpWorker<TClock> worker)
        {
            Worker = worker;
            _thread = new Thread(worker.Run) { IsBackground = true, Name = "afxdp-test" };
            _thread.Start();
        }

        public AfXdpWorker<TClock> Worker { get; }

        /// <summary>Stops the loop and waits for it, the drain of frames still in the kernel's transmit path included.</summary>
        public void Stop()
        {
            Worker.RequestStop();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(10)), "the worker did not stop");
        }

        public void Dispose()
        {
            if (_thread.IsAlive) Stop();
        }
    }

    private RunningWorker<TClock> StartWorker<TClock>(TClock clock, bool trackAllocations = false) where TClock : struct, IClock =>
        new(new AfXdpWorker<TClock>(_socket!, new Responder(_nts), _snapshots, _program!.State, new WorkerCounters(), clock, trackAllocations));

    /// <summary>An NTS client in the client namespace: a UDP socket, one sealed request sent in rounds of 64.</summary>
    private sealed class NtsClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _request;
        private const int ReceiveBuffer = 4 << 20;
        private readonly byte[] _reply = new byte[2048];

        public NtsClient(VethNamespacePair net, byte[] request)
        {
            _request = request;
            Socket? socket = null;
            InNamespace(net.ClientNamespace, () => socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            _socket = socket!;
            _socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
            // SO_RCVBUFFORCE (the tests run as root): room for a backlog's replies when the reader falls behind.
            _socket.SetRawSocketOption(1, 33, BitConverter.GetBytes(ReceiveBuffer));
            _socket.Bind(new IPEndPoint(IPAddress.Parse(net.ClientV4), 0));
            _socket.Connect(new IPEndPoint(IPAddress.Parse(net.ServerV4), ProtocolConstants.NtpPort));
        }

        /// <summary>Sends <paramref name="count"/> requests, 64 at a time, each round waiting for its replies; returns the NTS answers that came back.</summary>
        public int Push(int count, byte[]? request = null)
        {
            request ??= _request;
            int answered = 0;
            for (int sent = 0; sent < count; sent += Batch)
            {
                int round = Math.Min(Batch, count - sent);
                for (int i = 0; i < round; i++) _socket.Send(request);
                for (int i = 0; i < round; i++)
                {
                    int length;
                    try
                    {
                        length = _socket.Receive(_reply);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                    {
                        break;
                    }

                    if (IsAnswer(_reply.AsSpan(0, length), request)) answered++;
                }
            }

            return answered;
        }

        /// <summary>Reads and discards replies until none has come for 300 ms; returns how many there were.</summary>
        public int Drain()
        {
            _socket.ReceiveTimeout = 300;
            int drained = 0;
            try
            {
                for (; drained < 1_000_000; drained++) _socket.Receive(_reply);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
            }
            finally
            {
                _socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
            }

            return drained;
        }

        /// <summary>The next reply, or an empty span when none comes within the timeout.</summary>
        public ReadOnlySpan<byte> Receive()
        {
            try
            {
                return _reply.AsSpan(0, _socket.Receive(_reply));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                return [];
            }
        }

        /// <summary>Sends without waiting for anything back.</summary>
        public void Send(int count, byte[]? request = null)
        {
            for (int i = 0; i < count; i++) _socket.Send(request ?? _request);
        }

        /// <summary>A server reply at our stratum, to this request (origin = its transmit time), longer than a header: NTS fields.</summary>
        private static bool IsAnswer(ReadOnlySpan<byte> reply, ReadOnlySpan<byte> request) =>
            reply.Length > NtpHeader.Length && (reply[0] & 7) == (int)NtpMode.Server && reply[1] == Stratum &&
            reply.Slice(24, 8).SequenceEqual(request.Slice(40, 8));

        public void Dispose() => _socket.Dispose();
    }

    /// <summary>A sealed NTS request; its transmit time (<paramref name="seconds"/>) tells its replies from others'.</summary>
    private byte[] NtsRequest(uint seconds = 3_900_000_000)
    {
        byte[] c2sKey = new byte[32], s2cKey = new byte[32];
        c2sKey.AsSpan().Fill(7);
        s2cKey.AsSpan().Fill(9);
        using var codec = new NtsCookieCodec(_store, new RandomPool());
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int cookieLength = codec.Seal(AeadAlgorithm.AesSivCmac256, c2sKey, s2cKey, cookie);
        using var c2s = Aead.Create(AeadAlgorithm.AesSivCmac256, c2sKey);
        byte[] packet = new byte[2048];
        int length = NtsClientPacket.Write(packet, NtpTimestamp.FromParts(seconds, 1), new byte[32], cookie.AsSpan(0, cookieLength), 0, c2s, new byte[c2s.NonceLength]);
        return packet[..length];
    }

    [Fact]
    public void Worker_Answers100000NtsRequestsThroughTheXskRingsWithoutAllocating()
    {
        using RunningWorker<RealtimeClock> running = StartWorker(new RealtimeClock(), trackAllocations: true);
        AfXdpWorker<RealtimeClock> worker = running.Worker;
        using var client = new NtsClient(_net, NtsRequest());
        // Warm-up: tiering, lazy statics and first use of every path the steady state takes.
        client.Push(20_000);
        // One more round so the worker has recorded its allocation count after the warm-up's last batch.
        client.Push(Batch);
        long allocatedBefore = worker.AllocatedBytes;
        long answeredBefore = worker.Counters.Answered;
        Assert.True(allocatedBefore >= 0, "the worker has not recorded its allocations");

        int answered = client.Push(100_000);
        client.Push(Batch);
        long allocatedAfter = worker.AllocatedBytes;

        Assert.True(answered >= 100_000, $"only {answered} of 100000 NTS requests were answered");
        Assert.True(worker.Counters.Answered - answeredBefore >= 100_000, $"the worker answered {worker.Counters.Answered - answeredBefore}");
        Assert.Equal(0, allocatedAfter - allocatedBefore);
        Assert.Equal(worker.Counters.Answered, worker.Counters.NtsAuthenticated);
        Assert.Equal(0, worker.Counters.Faults);
        Assert.Equal(0, worker.Frames.FrameErrors.Sum());
        // Every receive time is the program's stamp: the veth carries the metadata into the UMEM frame.
        Assert.Equal(0, worker.Frames.Unstamped);
    }

    [Fact]
    public void Replies_CarryTheReceiveTimeTheProgramStampedNotThePickUp()
    {
        // Shorter than AfXdpReceiveTime.MaxWait, so the stamp stays in bounds, and long beside any delivery on a veth.
        var stall = TimeSpan.FromMilliseconds(300);
        using var open = new ManualResetEventSlim(true);
        using RunningWorker<GatedClock> running = StartWorker(new GatedClock(open));
        using var client = new NtsClient(_net, NtsRequest());
        Assert.Equal(1, client.Push(1));
        long batches = running.Worker.Counters.Batches;

        // The request waits on RX while the worker stalls at its pick-up reading.
        open.Reset();
        NtpTimestamp sent = new RealtimeClock().Now();
        client.Send(1);
        Assert.True(Poll.Until(() => running.Worker.Counters.Batches > batches, ReplyTimeout), "the request never reached the worker");
        Thread.Sleep(stall);
        open.Set();
        ReadOnlySpan<byte> reply = client.Receive();

        Assert.True(reply.Length > NtpHeader.Length, "no NTS reply came");
        var receive = NtpTimestamp.Read(reply[32..]);
        var transmit = NtpTimestamp.Read(reply[40..]);
        Assert.True(receive.CompareTo(sent) >= 0 && (receive - sent).TotalNanoseconds < (long)(stall / 2).TotalNanoseconds,
            $"receive time {receive} is not the arrival right after {sent}");
        Assert.True((transmit - sent).TotalNanoseconds >= (long)stall.TotalNanoseconds, $"transmit time {transmit} came before the stall ended");
        Assert.Equal(0, running.Worker.Frames.Unstamped);
    }

    [Fact]
    public void Program_StampsTheReceiveTimeInFrontOfTheFramesItRedirects()
    {
        byte[] frame = new byte[2048];
        int length = UdpFrameWriter.Write(frame, new MacAddress(0x02_00_00_00_00_01), new MacAddress(0x02_00_00_00_00_02),
            IPAddress.Parse(_net.ClientV4).GetAddressBytes(), IPAddress.Parse(_net.ServerV4).GetAddressBytes(), 40_000, ProtocolConstants.NtpPort,
            NtsRequest());
        byte[] output = new byte[frame.Length + 256];
        XdpCounterTotals counters = _program!.ReadCounters();
        long before = 0, after = 0;
        uint verdict = 0;
        int outputLength = 0;
        InNamespace(_net.ServerNamespace, () =>
        {
            // BPF_PROG_TEST_RUN runs the program on a frame from queue 0 of this namespace's loopback: a socket there
            // makes the program redirect, and the run hands back the metadata in front of the frame.
            using var socket = XskSocket.Open(Loopback, 0, 64, XskBindMode.Copy);
            _program.SteerToSocket(Loopback, 1, 0, socket.Descriptor);
            before = SystemTai.Nanoseconds();
            verdict = _program.Program.TestRun(frame.AsSpan(0, length), output, out outputLength);
            after = SystemTai.Nanoseconds();
        });

        Assert.Equal(XdpRedirect, verdict);
        Assert.Equal(AfXdpReceiveTime.MetadataLength + length, outputLength);
        XdpReceiveMetadata stamp = MemoryMarshal.Read<XdpReceiveMetadata>(output);
        Assert.True(stamp.IsValid, "the check word does not match the stamp");
        Assert.InRange((long)stamp.RxTaiNanoseconds, before, after);
        Assert.True(frame.AsSpan(0, length).SequenceEqual(output.AsSpan(AfXdpReceiveTime.MetadataLength, length)), "the frame behind the metadata changed");
        Assert.Equal(counters.PassedExtensions + 1, _program.ReadCounters().PassedExtensions);
        Assert.Equal(0, _program.ReadCounters().RedirectedUnstamped);
    }

    [Fact]
    public void TransmitBacklog_IsAnsweredInFullAcrossWakeUps()
    {
        using var open = new ManualResetEventSlim(true);
        using RunningWorker<GatedClock> running = StartWorker(new GatedClock(open));
        using var client = new NtsClient(_net, NtsRequest());
        long batches = running.Worker.Counters.Batches;
        open.Reset();
        client.Send(1);
        Assert.True(Poll.Until(() => running.Worker.Counters.Batches > batches, ReplyTimeout), "the request never reached the worker");
        // A backlog on RX that the worker then takes in one go, RX never empty: its replies leave in full wake-ups
        // of KickThreshold and the rest with the poll once RX has run dry. Sent in rounds the veth's ring can hold.
        int backlog = 2 * AfXdpWorker<GatedClock>.KickThreshold + 17;
        for (int sent = 0; sent < backlog; sent += Batch)
        {
            client.Send(Math.Min(Batch, backlog - sent));
            Thread.Sleep(20);
        }

        open.Set();

        Assert.Equal(1 + backlog, client.Drain());
        Assert.Equal(1 + backlog, running.Worker.Counters.Answered);
        Assert.Equal(0, running.Worker.Frames.WakeErrors);
    }

    [Fact]
    public void Socket_SendsItsWholeTxRingPerWakeUpWhereTheKernelAllows()
    {
        // XDP_MAX_TX_SKB_BUDGET arrived in Linux 6.17; before it a copy-mode wake-up sends 32 frames.
        Version kernel = Environment.OSVersion.Version;
        Assert.Equal(kernel >= new Version(6, 17) ? FrameCount : 32, _socket!.TransmitBudget);
    }

    /// <summary>A clock whose readings wait while a gate is closed: it stalls the worker in the middle of a batch.</summary>
    private readonly struct GatedClock(ManualResetEventSlim open) : IClock
    {
        public NtpTimestamp Now()
        {
            open.Wait();
            return new RealtimeClock().Now();
        }
    }

    [Fact]
    public void StalledWorker_WithholdsLivenessUntilItTurnsAgain()
    {
        using var open = new ManualResetEventSlim(true);
        using RunningWorker<GatedClock> running = StartWorker(new GatedClock(open));
        var liveness = new WorkerLiveness([running.Worker.Counters]);
        using var client = new NtsClient(_net, NtsRequest());

        // Idle, the loop turns on its poll timeout; answering, on every batch.
        Thread.Sleep(300);
        Assert.True(liveness.AllProgressed(), "an idle worker must count as alive");
        Assert.Equal(1, client.Push(1));
        Thread.Sleep(300);
        Assert.True(liveness.AllProgressed());

        open.Reset();
        client.Send(1);
        Assert.True(Poll.Until(() => running.Worker.Counters.Batches >= 2, TimeSpan.FromSeconds(5)), "the request never reached the worker");
        liveness.AllProgressed();
        Thread.Sleep(300);
        Assert.False(liveness.AllProgressed(), "a worker stuck in a batch must withhold liveness");

        open.Set();
        Thread.Sleep(300);
        Assert.True(liveness.AllProgressed());
    }

    [Fact]
    public void OverflowWhileStalled_IsDroppedByTheKernelAndTheWorkerRecovers()
    {
        using var open = new ManualResetEventSlim(true);
        using RunningWorker<GatedClock> running = StartWorker(new GatedClock(open));
        using var client = new NtsClient(_net, NtsRequest());
        Assert.Equal(Batch, client.Push(Batch));

        long batches = running.Worker.Counters.Batches;
        open.Reset();
        client.Send(1);
        Assert.True(Poll.Until(() => running.Worker.Counters.Batches > batches, ReplyTimeout), "the request never reached the worker");
        // The stalled worker holds one frame; the rest wait on RX until the fill ring is empty, and the kernel drops the others.
        client.Send(2 * FrameCount);
        Assert.True(Poll.Until(() => _socket!.ReadStatistics().RxDropped > 0, ReplyTimeout), "the kernel dropped nothing");
        XdpStatistics statistics = _socket!.ReadStatistics();
        Assert.True(statistics.RxFillRingEmpty > 0, "the fill ring never ran empty");

        open.Set();
        Assert.True(client.Drain() > 0, "the frames that waited on RX were never answered");
        Assert.Equal(Batch, client.Push(Batch, NtsRequest(3_900_000_001)));
        running.Stop();
        Assert.Equal(0, running.Worker.UnreturnedFrames);
        Assert.Equal(0, running.Worker.Counters.Faults);
    }

    /// <summary>
    /// A descriptor the kernel never writes (past the UMEM, longer than a frame) is refused before anything touches
    /// memory; in the worker's batch loop that refusal counts as a fault and the batch goes on.
    /// </summary>
    [Fact]
    public void Frame_RefusesADescriptorOutsideTheUmem()
    {
        XskSocket socket = _socket!;
        ulong last = XskSocket.FrameAddress(FrameCount - 1);
        Assert.Equal(XskSocket.FrameSize, socket.Frame(last, XskSocket.FrameSize).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.Frame(XskSocket.FrameAddress(FrameCount), 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.Frame(last + 1, XskSocket.FrameSize); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.Frame(0, XskSocket.FrameSize + 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.Frame(0, -1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.Frame(ulong.MaxValue, 1); });
    }

    [Fact]
    public void InFront_IsTheFramesOwnChunkOrNothing()
    {
        XskSocket socket = _socket!;
        ulong chunk = XskSocket.FrameAddress(3);
        Span<byte> inFront = socket.InFront(chunk + 256, 16);
        inFront.Fill(0xab);
        Assert.True(socket.Frame(chunk + 240, 16).SequenceEqual(inFront), "the octets in front are not the ones before the frame");
        inFront.Clear();

        // A frame that starts closer to its chunk's start has nothing in front of it there (the previous chunk is another frame's).
        Assert.Equal(0, socket.InFront(chunk, 16).Length);
        Assert.Equal(0, socket.InFront(chunk + 15, 16).Length);
        Assert.Equal(16, socket.InFront(chunk + 16, 16).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.InFront(XskSocket.FrameAddress(FrameCount), 16); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.InFront(chunk + 256, -1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { socket.InFront(ulong.MaxValue, 16); });
    }

    [Fact]
    public void HostileRequests_AreCountedAndTheirFramesRecycled()
    {
        using RunningWorker<RealtimeClock> running = StartWorker(new RealtimeClock());
        AfXdpCounters frames = running.Worker.Frames;
        using var client = new NtsClient(_net, NtsRequest());
        // Past the header the XDP program sees only a length: a field whose length overruns the packet comes here.
        byte[] malformed = new byte[NtpHeader.Length + 16];
        malformed[0] = (4 << 3) | (byte)NtpMode.Client;
        malformed[NtpHeader.Length + 3] = 64;

        // Three times as many as there are frames: each must go back to the fill ring, or the socket would run dry.
        for (int i = 0; i < 3 * FrameCount; i += Batch)
        {
            client.Send(Batch, malformed);
            Assert.True(Poll.Until(() => Volatile.Read(ref frames.Frames) >= i + Batch, ReplyTimeout), $"{Volatile.Read(ref frames.Frames)} of {i + Batch} frames reached the worker");
        }

        Assert.Equal(Batch, client.Push(Batch));
        Assert.Equal(3 * FrameCount, running.Worker.Counters.Dropped[(int)DropReason.MalformedExtensionFields]);
        Assert.Equal(Batch, running.Worker.Counters.Answered);
        Assert.Equal(0, running.Worker.Counters.Faults);
    }

    [Fact]
    public void Stop_WaitsForTheKernelToReturnEveryFrameStillBeingSent()
    {
        using RunningWorker<RealtimeClock> running = StartWorker(new RealtimeClock());
        using var client = new NtsClient(_net, NtsRequest());
        Assert.Equal(Batch, client.Push(Batch));

        // A burst, and the stop right behind it: replies are on TX or in the kernel's transmit path, their
        // frames not yet back through the completion ring.
        client.Send(FrameCount / 2);
        Assert.True(Poll.Until(() => running.Worker.Counters.Answered > Batch, ReplyTimeout), "the burst never reached the worker");
        running.Stop();

        Assert.Equal(0, running.Worker.UnreturnedFrames);
        Assert.Equal(running.Worker.Counters.Answered, Volatile.Read(ref running.Worker.Frames.Sent));
        XdpStatistics statistics = _socket!.ReadStatistics();
        Assert.Equal(0ul, statistics.TxInvalidDescriptors);
        Assert.Equal(0ul, statistics.RxInvalidDescriptors);
    }
}
