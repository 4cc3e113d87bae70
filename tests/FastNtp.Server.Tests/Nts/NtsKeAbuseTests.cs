using FastNtp.Interop.OpenSsl;
using FastNtp.Server.Nts;

namespace FastNtp.Server.Tests.Nts;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NtsKeAbuseCollection
{
    public const string Name = "NTS-KE abuse (runs alone: it floods loopback)";
}

/// <summary>NTS-KE under abuse at small scale (the full-scale figure is in bench/RESULTS.md).</summary>
[Collection(NtsKeAbuseCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NtsKeAbuseTests(TestPkiFixture fixture) : IClassFixture<TestPkiFixture>
{
    private readonly TestPki _pki = fixture.Pki;

    [Fact]
    public async Task LegitimateClient_IsServedWhileOneAddressHoldsIdleConnectionsAndAnotherChurns()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartAsync(keys, NtsKeSettings.Default with { MaxConnections = 32, MaxConnectionsPerAddress = 4, HandshakesPerAddress = 40, HandshakeTimeout = TimeSpan.FromSeconds(1) });
        var target = new IPEndPoint(IPAddress.Loopback, ke.LocalEndPoint.Port);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // 127.0.0.2 keeps 100 idle connections open (three times the server's slots), replacing the ones closed.
        var hold = Task.Run(async () =>
        {
            var held = new Queue<Socket>();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    while (held.Count >= 100) held.Dequeue().Dispose();
                    held.Enqueue(await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), target, stop.Token));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
            finally
            {
                foreach (Socket s in held) s.Dispose();
            }
        });
        // 127.0.0.3 opens and drops connections as fast as it can.
        long churned = 0;
        var churn = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    using Socket s = await ConnectFromAsync(IPAddress.Parse("127.0.0.3"), target, stop.Token);
                    Interlocked.Increment(ref churned);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        });

        Assert.True(await Poll.UntilAsync(() => ke.Counters.OverLimit["ConnectionsPerAddress"] > 0 && Interlocked.Read(ref churned) > 100, TimeSpan.FromSeconds(20)), ke.Counters.ToString());
        int served = 0;
        for (int i = 0; i < 30; i++)
        {
            try
            {
                NtsKeResult result = await NtsKeClient.ExchangeAsync("127.0.0.1", target.Port, _pki.CaCert);
                if (result.Cookies.Count == 8) served++;
            }
            catch (Exception e) when (e is NtsKeException or IOException or SocketException)
            {
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(hold, churn);
        NtsKeCounters counters = ke.Counters;
        Assert.True(served >= 29, $"served {served} of 30; {counters}");
        Assert.True(counters.OverLimit["HandshakeRate"] > 0, counters.ToString());
    }

    /// <summary>Regression: a flood of refused connections left its memory resident for good (issue 14); the server now releases it once the flood is over.</summary>
    [Fact]
    public async Task FloodOfRefusedConnections_HasItsMemoryReleasedOnceOver()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartAsync(keys, NtsKeSettings.Default with { HandshakesPerAddress = 1 });
        var target = new IPEndPoint(IPAddress.Loopback, ke.LocalEndPoint.Port);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        for (long i = 0; i < NtsKeMemoryRelease.BurstConnections + 100; i++)
        {
            using Socket s = await ConnectFromAsync(IPAddress.Parse("127.0.0.4"), target, stop.Token);
            s.LingerState = new LingerOption(true, 0);
        }

        Assert.True(await Poll.UntilAsync(() => ke.MemoryRelease.Releases > 0, TimeSpan.FromSeconds(30)), ke.Counters.ToString());
        Assert.True(ke.Counters.OverLimit["HandshakeRate"] >= NtsKeMemoryRelease.BurstConnections, ke.Counters.ToString());
    }

    /// <summary>
    /// Regression: after a flood of half-open handshakes (a ClientHello, then silence) the live heap stayed megabytes
    /// larger (issue 14): Kestrel's block pool kept a pinned block for every connection that had waited at once and gave
    /// them back a few per 10 s. Once the connections are gone, nothing of theirs stays pinned.
    /// </summary>
    [Fact]
    public async Task HalfOpenHandshakes_LeaveNoPinnedBuffersOnceTimedOut()
    {
        const int connections = 400;
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartAsync(keys, NtsKeSettings.Default with
        {
            MaxConnectionsPerAddress = connections,
            HandshakesPerAddress = connections,
            HandshakeTimeout = TimeSpan.FromSeconds(5),
        });
        var target = new IPEndPoint(IPAddress.Loopback, ke.LocalEndPoint.Port);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        byte[] hello = ClientHello();
        long pinnedBefore = PinnedHeapAfterFullCollection();

        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                Socket s = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"), target, stop.Token);
                held.Add(s);
                await s.SendAsync(hello, stop.Token);
            }

            Assert.True(await Poll.UntilAsync(() => ke.Counters.HandshakesFailed["TimedOut"] >= connections && ke.Counters.ActiveConnections == 0, TimeSpan.FromSeconds(30)), ke.Counters.ToString());
        }
        finally
        {
            foreach (Socket s in held) s.Dispose();
        }

        long grown = PinnedHeapAfterFullCollection() - pinnedBefore;
        // The old pool kept about one 4 KiB block per connection; a tenth of that is noise from the rest of the process.
        Assert.True(grown < connections * 4096 / 10, $"pinned heap grew by {grown} B after {connections} half-open handshakes");
    }

    /// <summary>The first flight of a real TLS 1.3 client with ALPN ntske/1 (what a half-open flood sends).</summary>
    private byte[] ClientHello()
    {
        using var context = TlsContext.CreateClient(_pki.CaCert, "ntske/1");
        using TlsConnection client = context.Connect("127.0.0.1");
        Assert.Equal(TlsStatus.WantRead, client.Handshake());
        byte[] flight = new byte[client.PendingOutgoing];
        Assert.Equal(flight.Length, client.ReadOutgoing(flight));
        return flight;
    }

    private static long PinnedHeapAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // Generation indexes 0-2, then the large and the pinned object heaps.
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo[4].SizeAfterBytes;
    }

    private async Task<NtsKeServer> StartAsync(CookieKeyManager keys, NtsKeSettings limits)
    {
        var ke = new NtsKeServer(new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            CertificatePath = _pki.ServerCert,
            PrivateKeyPath = _pki.ServerKey,
            Limits = limits,
        }, keys.Store);
        await ke.StartAsync();
        return ke;
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress source, IPEndPoint target, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(target, token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
