using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;

namespace FastNtp.Server.Tests.Nts;

/// <summary>NTS interop with chrony 4.3 (/usr/sbin/chronyd) on loopback, both ways. Fails clearly when chronyd is missing.</summary>
public sealed class ChronyInteropTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task ChronyAsNtsClient_SynchronizesAgainstFastNtp()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        using var nts = new NtsResponder(keys.Store);
        using var ntp = new LoopbackNtpServer(new FastNtp.Protocol.Server.Responder(nts));
        var settings = new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            CertificatePath = _pki.ServerCert,
            PrivateKeyPath = _pki.ServerKey,
            NtpPort = ntp.Port,
        };
        await using var ke = new NtsKeServer(settings, keys.Store);
        await ke.StartAsync();

        // Off the test thread: the in-process servers answer chronyd meanwhile.
        (int exit, string output) = await Task.Run(() => Chronyd.Query(
            [$"server 127.0.0.1 port {ntp.Port} nts ntsport {ke.LocalEndPoint.Port} iburst maxsamples 4", $"ntstrustedcerts {_pki.CaCert}"],
            timeLimitSeconds: 40));

        Assert.True(exit == 0, output);
        Assert.Contains("System clock wrong by", output, StringComparison.Ordinal);
        Assert.Equal(1L, ke.Counters.ExchangeCount(NtsKeServerOutcome.KeysIssued));
        var counted = Metrics.NtsCounters.From(ntp.Totals, null);
        Assert.True(counted.Authenticated >= 3, $"{counted}: {output}");
        Assert.Equal(0L, counted.Rejected);
        Assert.Equal(0L, counted.Naks);
    }

    [Fact]
    public async Task FastNtp_QueriesChronyAsNtsServer()
    {
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        using (ChronydServer chronyd = Chronyd.StartServer(
            ntpPort, $"ntsport {kePort}", $"ntsservercert {_pki.ServerCert}", $"ntsserverkey {_pki.ServerKey}", $"ntsdumpdir {_pki.Directory}", "local stratum 1"))
        {
            NtsQueryResult? result = null;
            Exception? last = null;
            // chronyd needs a moment to bind; retry NTS-KE for up to ten seconds.
            for (int attempt = 0; attempt < 40 && result is null; attempt++)
            {
                try
                {
                    // chrony names no port when it serves NTP on its configured one; tell the client which that is.
                    NtsKeResult session = await NtsKeClient.ExchangeAsync("127.0.0.1", kePort, _pki.CaCert, TimeSpan.FromSeconds(5), ntpPort: ntpPort);
                    using var client = new NtsNtpClient(session);
                    result = await client.QueryAsync(TimeSpan.FromSeconds(5));
                }
                catch (NtsKeException e) when (e.Failure is NtsKeFailure.Network or NtsKeFailure.Tls)
                {
                    last = e;
                    await Task.Delay(250);
                }
            }

            Assert.True(result is not null, "no NTS exchange with chronyd: " + last + "\n" + chronyd.Output);
            Assert.True(result!.Sample.IsValid, result.Sample.Error.ToString());
            Assert.Equal(1, result.Sample.Stratum);
            Assert.InRange(Math.Abs(result.Sample.Offset.TotalSeconds), 0, 0.5);
            // chronyd sends a fresh cookie for the one spent: the stash stays full.
            Assert.Equal(NtsClientSession.MaxCookies, result.CookiesLeft);
        }
    }
}
