using FastNtp.Interop.Sockets;
using static FastNtp.Server.Tests.Engine.EngineHarness;

namespace FastNtp.Server.Tests.Engine;

/// <summary>The client policy inside the Linux engine: steering makes each worker's table exact; one server per address.</summary>
public class PolicyEngineTests
{
    private const int Burst = 5;

    /// <summary>A limit nobody refills during a test: each client gets exactly <see cref="Burst"/> answers.</summary>
    private static PolicySettings RateLimit(int burst = Burst) => new(
        new ClientPolicyOptions { RateLimitEnabled = true, Burst = burst, Interval = TimeSpan.FromHours(1), KodShare = 0, Entries = 1024 },
        AccessList.AllowAll);

    /// <summary>Sends one request from each of <paramref name="sockets"/> fresh source ports and counts valid (non-kiss) replies.</summary>
    private static int AnswersFromManyPorts(IPEndPoint server, IPAddress source, int sockets)
    {
        int answered = 0;
        for (int i = 0; i < sockets; i++)
        {
            using var client = new UdpClient(new IPEndPoint(source, 0));
            client.Client.ReceiveTimeout = 300;
            client.Send(ClientRequest((ulong)i + 1), server);
            try
            {
                IPEndPoint? from = null;
                byte[] reply = client.Receive(ref from);
                if (NtpHeader.TryRead(reply, out NtpHeader header) && header.Stratum != 0) answered++;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // Dropped by the limit.
            }
        }

        return answered;
    }

    [Fact]
    public void SteeredWorkers_KeepOneExactLimitPerClientAddressWhateverItsSourcePorts()
    {
        // Without steering the kernel hashes the four-tuple: 40 source ports would spread over the four
        // workers, each with its own bucket, and the client would get up to four bursts.
        using LinuxBatchEngine engine = Start(workers: 4, trackAllocations: false, RateLimit(), "127.0.0.1:0");
        IPEndPoint server = engine.BoundEndpoints[0];

        Assert.Equal(Burst, AnswersFromManyPorts(server, IPAddress.Parse("127.0.0.1"), 40));
        Assert.Equal(Burst, AnswersFromManyPorts(server, IPAddress.Parse("127.0.0.2"), 40));
        Assert.Equal(Burst, AnswersFromManyPorts(server, IPAddress.Parse("127.0.0.3"), 40));

        engine.Stop();
        var totals = CounterTotals.Sum(engine.Counters);
        Assert.Equal(120, totals.Received);
        Assert.Equal(3 * Burst, totals.Answered);
        Assert.Equal(120 - 3 * Burst, totals.Refused.RateLimitedDropped);
        // Each address was seen by exactly one worker's table.
        Assert.Equal(4, engine.ClientTables.Count);
        var seen = new List<ClientLogEntry>();
        foreach (ClientTable table in engine.ClientTables)
        {
            var rows = new ClientLogEntry[8];
            seen.AddRange(rows.AsSpan(0, table.CopyTop(rows)).ToArray());
        }

        Assert.Equal(3, seen.Count);
        Assert.All(seen, row => Assert.Equal(40, row.Requests));
    }

    [Fact]
    public void SecondServerOnTheSameAddress_IsRefusedWhileOneServersWorkersShareIt()
    {
        using LinuxBatchEngine first = Start(workers: 2, trackAllocations: false, "127.0.0.1:0");
        IPEndPoint bound = first.BoundEndpoints[0];
        var settings = new EngineSettings([bound], 2, new SnapshotPublisher(Snapshot), () => new Protocol.Server.Responder(), PinWorkers: false);
        using var second = new LinuxBatchEngine(settings, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        AddressInUseException refused = Assert.Throws<AddressInUseException>(second.Start);
        Assert.Contains(bound.ToString(), refused.Message, StringComparison.Ordinal);

        // The first server still answers everything.
        using UdpClient client = NewClient(AddressFamily.InterNetwork);
        AssertAnswersEach(client, bound, 5, firstTransmit: 1);
    }

    [Fact]
    public void WorkerWithRateLimitAndAccessList_AnswersAndKissesWithoutAllocating()
    {
        Assert.True(AccessList.TryCreate([], ["10.0.0.0/8", "2001:db8::/32", "127.0.0.9"], out AccessList access, out _));
        var policy = new PolicySettings(
            new ClientPolicyOptions { RateLimitEnabled = true, Burst = 64, Interval = TimeSpan.FromMilliseconds(1), KodShare = 1, DenyAction = DenyAction.Kod },
            access);
        using LinuxBatchEngine engine = Start(workers: 1, trackAllocations: true, policy, "127.0.0.1:0");
        BatchWorker<RealtimeClock> worker = engine.Workers[0];
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Client.ReceiveTimeout = 2000;

        void Round(int count)
        {
            // Back-to-back requests overrun the 1 ms limit now and then, so both answers and RATE kisses are exercised.
            for (int i = 0; i < count; i++)
            {
                client.Send(ClientRequest((ulong)i + 1), engine.BoundEndpoints[0]);
                IPEndPoint? from = null;
                client.Receive(ref from);
            }
        }

        Round(5000);
        long before = worker.AllocatedBytes;
        Round(20_000);
        long after = worker.AllocatedBytes;

        Assert.True(before >= 0, "the worker has not recorded its allocations");
        Assert.Equal(0, after - before);
        Assert.True(worker.Counters.Answered > 0);
    }
}
