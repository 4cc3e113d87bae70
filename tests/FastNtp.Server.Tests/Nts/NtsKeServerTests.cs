using System.Diagnostics;
using FastNtp.Crypto;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;
using FastNtp.Server.Tests.Configuration;

namespace FastNtp.Server.Tests.Nts;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NtsKeServerTests : IClassFixture<TestPkiFixture>
{
    private readonly TestPki _pki;

    public NtsKeServerTests(TestPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    private async Task<NtsKeServer> StartServerAsync(CookieKeyStore keys, int? ntpPort = null, Func<NtsKeServerSettings, NtsKeServerSettings>? tweak = null)
    {
        var settings = new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            CertificatePath = _pki.ServerCert,
            PrivateKeyPath = _pki.ServerKey,
            NtpPort = ntpPort,
            // Tests run many exchanges from 127.0.0.1; the per-address handshake rate has its own tests.
            Limits = NtsKeSettings.Default with { HandshakesPerAddress = 10_000 },
        };
        var server = new NtsKeServer(tweak is null ? settings : tweak(settings), keys);
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task FullNtsExchange_WorksAgainstInProcessServers()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        using var nts = new NtsResponder(keys.Store);
        using var ntp = new LoopbackNtpServer(new Protocol.Server.Responder(nts));
        await using NtsKeServer ke = await StartServerAsync(keys.Store, ntp.Port);

        NtsKeResult session = await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, _pki.CaCert);
        Assert.Equal(AeadAlgorithm.AesSivCmac256, session.Algorithm);
        Assert.Equal(8, session.Cookies.Count);
        Assert.Equal(ntp.Port, session.NtpPort);
        Assert.Equal("127.0.0.1", session.NtpServer);

        using var client = new NtsNtpClient(session);
        for (int i = 0; i < 10; i++)
        {
            NtsQueryResult result = await client.QueryAsync(TimeSpan.FromSeconds(5));
            Assert.True(result.Sample.IsValid, result.Sample.Error.ToString());
            Assert.Equal(1, result.Sample.Stratum);
            Assert.InRange(Math.Abs(result.Sample.Offset.TotalSeconds), 0, 0.5);
            Assert.Equal(8, result.CookiesLeft);
        }

        Assert.Equal(8, client.CookiesLeft);
        Assert.Equal(10L, ntp.Totals.NtsAuthenticated);
        NtsKeCounters counters = ke.Counters;
        Assert.Equal(1L, counters.ExchangeCount(NtsKeServerOutcome.KeysIssued));
        Assert.Equal(8L, counters.CookiesIssued);
        Assert.Equal(1L, counters.HandshakesOk);

        // GCM-SIV when the client prefers it.
        NtsKeResult gcm = await NtsKeClient.ExchangeAsync("localhost", ke.LocalEndPoint.Port, _pki.CaCert, algorithms: [AeadAlgorithm.Aes128GcmSiv]);
        Assert.Equal(AeadAlgorithm.Aes128GcmSiv, gcm.Algorithm);
        using var gcmClient = new NtsNtpClient(gcm);
        Assert.Equal(1, (await gcmClient.QueryAsync(TimeSpan.FromSeconds(5))).Sample.Stratum);
    }

    [Fact]
    public async Task CookiesFromOneServer_WorkOnAnotherWithTheSameKeyFile()
    {
        string file = Path.Combine(_pki.Directory, "fleet-" + Guid.NewGuid().ToString("N") + ".key");
        NtsKeyFile.Generate(file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Throws<IOException>(() => NtsKeyFile.Generate(file));

        await using var keSide = NtsService.Create(TestSettings.Load(("Nts:KeyFile", file), ("Nts:KeListen", $"127.0.0.1:{Ports.FreeTcpPort()}"), ("Nts:Cert", _pki.ServerCert), ("Nts:Key", _pki.ServerKey), ("Nts:NtpPort", "1")).Nts);
        await using var ntpSide = NtsService.Create(TestSettings.Load(("Nts:KeyFile", file)).Nts);
        await keSide.StartAsync();
        using var ntp = new LoopbackNtpServer(ntpSide.CreateResponder());

        NtsKeResult issued = await NtsKeClient.ExchangeAsync("127.0.0.1", keSide.KeServer!.LocalEndPoint.Port, _pki.CaCert);
        using var client = new NtsNtpClient(issued with { NtpPort = ntp.Port });
        NtsQueryResult result = await client.QueryAsync(TimeSpan.FromSeconds(5));
        Assert.True(result.Sample.IsValid, result.Sample.Error.ToString());
        Assert.Equal(1, result.Sample.Stratum);
        Assert.Equal(1L, ntpSide.Totals(ntp.Totals).Authenticated);

        // A server with a different secret answers the same cookie with an NTS NAK.
        await using var stranger = NtsService.Create(TestSettings.Load().Nts);
        using var strangerNtp = new LoopbackNtpServer(stranger.CreateResponder());
        using var lost = new NtsNtpClient(issued with { NtpPort = strangerNtp.Port });
        NtsQueryException nak = await Assert.ThrowsAsync<NtsQueryException>(() => lost.QueryAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(NtsQueryFailure.Nak, nak.Failure);
    }

    [Fact]
    public void KeyFileProblems_NameTheOption()
    {
        string file = Path.Combine(_pki.Directory, "bad-" + Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(file, "not hex\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => NtsService.Create(TestSettings.Load(("Nts:KeyFile", file)).Nts));
        Assert.Equal($"--nts-key-file: NTS key file '{file}' does not hold a hex secret.", e.Message);
        File.WriteAllText(file, "00112233\n");
        e = Assert.Throws<ConfigurationException>(() => NtsService.Create(TestSettings.Load(("Nts:KeyFile", file)).Nts));
        Assert.Equal($"--nts-key-file: NTS key file '{file}' holds 4 octets; at least 32 are needed.", e.Message);
        File.WriteAllText(file, new string('a', 64) + "\n");
        Assert.Equal(32, NtsKeyFile.Load(file).Length);

        // Readable by others or by the group: refused, as ssh refuses a loose private key.
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        e = Assert.Throws<ConfigurationException>(() => NtsService.Create(TestSettings.Load(("Nts:KeyFile", file)).Nts));
        Assert.Equal($"--nts-key-file: '{file}' is mode 0604: group or others may read it; chmod 600 it (or 400)", e.Message);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Assert.Throws<InvalidDataException>(() => NtsKeyFile.Load(file));
    }

    [Fact]
    public void PrivateKeyFileInTheCredentialsDirectory_MayShowGroupBitsButNotOthers()
    {
        // systemd grants the service's user read access to a credential through an ACL, whose mask reads as group bits.
        string file = Path.Combine(_pki.Directory, "credential-" + Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(file, new string('a', 64) + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);

        PrivateKeyFile.EnsurePrivate(file, _pki.Directory);
        Assert.Throws<InvalidDataException>(() => PrivateKeyFile.EnsurePrivate(file, null));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.OtherRead);
        Assert.Throws<InvalidDataException>(() => PrivateKeyFile.EnsurePrivate(file, _pki.Directory));
    }

    /// <summary>A server with few connection slots and short handshake and request timeouts, to watch slots fill and free.</summary>
    private static NtsKeServerSettings WithSlots(NtsKeServerSettings settings, int maxConnections, TimeSpan timeout) => settings with
    {
        Limits = settings.Limits with { MaxConnections = maxConnections, HandshakeTimeout = timeout, RequestTimeout = timeout },
    };

    /// <summary>Runs a raw TLS 1.3 client that sends <paramref name="request"/> and returns everything the server answers.</summary>
    private async Task<byte[]> RawExchangeAsync(int port, byte[] request, string alpn = "ntske/1")
    {
        using var context = TlsContext.CreateClient(_pki.CaCert, alpn);
        using TlsConnection tls = context.Connect("127.0.0.1");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        byte[] buffer = new byte[16384];
        var received = new List<byte>();
        bool sent = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int round = 0; round < 100; round++)
        {
            TlsStatus status = tls.Handshake();
            if (status == TlsStatus.Ok && !sent)
            {
                tls.Write(request);
                sent = true;
            }

            if (status == TlsStatus.Ok)
            {
                TlsStatus read;
                while ((read = tls.Read(buffer, out int n)) == TlsStatus.Ok && n > 0) received.AddRange(buffer.AsSpan(0, n));
                if (read is TlsStatus.Closed or TlsStatus.Failed) break;
            }
            else if (status == TlsStatus.Failed)
            {
                break;
            }

            int pending;
            while ((pending = tls.ReadOutgoing(buffer)) > 0) await socket.SendAsync(buffer.AsMemory(0, pending), SocketFlags.None, timeout.Token);
            int got = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (got == 0) break;
            tls.WriteIncoming(buffer.AsSpan(0, got));
        }

        return [.. received];
    }

    [Fact]
    public async Task HostileRequests_GetRfcErrorsAndCostOneSlot()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => s with { MaxRequestLength = 256 });
        int port = ke.LocalEndPoint.Port;

        byte[] unknownCritical = [0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0xC0, 0x01, 0, 0, 0x80, 0, 0, 0];
        var r = NtsKeResponse.Parse(await RawExchangeAsync(port, unknownCritical), [15]);
        Assert.Equal(NtsKeResponseError.ServerError, r.Error);
        Assert.Equal((ushort)NtsKeErrorCode.UnrecognizedCriticalRecord, r.ServerError);

        byte[] noAead = [0x80, 1, 0, 2, 0, 0, 0x80, 0, 0, 0];
        r = NtsKeResponse.Parse(await RawExchangeAsync(port, noAead), [15]);
        Assert.Equal((ushort)NtsKeErrorCode.BadRequest, r.ServerError);

        byte[] noOverlap = [0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 99, 0x80, 0, 0, 0];
        Assert.Equal(NtsKeResponseError.NoCommonAlgorithm, NtsKeResponse.Parse(await RawExchangeAsync(port, noOverlap), [99]).Error);

        // Oversized: records that never reach End of Message beyond the limit.
        byte[] oversized = new byte[4 + 600];
        oversized[0] = 0x00;
        oversized[1] = 0x55;
        oversized[2] = 600 >> 8;
        oversized[3] = 600 & 0xFF;
        r = NtsKeResponse.Parse(await RawExchangeAsync(port, oversized), [15]);
        Assert.Equal((ushort)NtsKeErrorCode.BadRequest, r.ServerError);

        // Bad ALPN: the handshake fails and nothing is answered.
        Assert.Empty(await RawExchangeAsync(port, noAead, alpn: "http/1.1"));
        Assert.True(await Poll.UntilAsync(() => ke.Counters.ActiveConnections == 0, TimeSpan.FromSeconds(10)));
        NtsKeCounters counters = ke.Counters;
        Assert.Equal(1L, counters.ExchangeCount(NtsKeServerOutcome.UnrecognizedCriticalRecord));
        Assert.Equal(1L, counters.ExchangeCount(NtsKeServerOutcome.BadRequest));
        Assert.Equal(1L, counters.ExchangeCount(NtsKeServerOutcome.NoCommonAlgorithm));
        Assert.Equal(1L, counters.ExchangeCount(NtsKeServerOutcome.Oversize));
        Assert.Equal(1L, counters.HandshakesFailed.GetValueOrDefault(nameof(NtsKeHandshakeResult.TlsFailed)));
        Assert.Equal(0L, counters.CookiesIssued);
    }

    [Fact]
    public async Task SilentClients_TimeOutAndFreeTheirSlots()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => WithSlots(s, 2, TimeSpan.FromMilliseconds(300)));
        var silent = new List<Socket>();
        for (int i = 0; i < 3; i++)
        {
            var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await s.ConnectAsync(IPAddress.Loopback, ke.LocalEndPoint.Port);
            silent.Add(s);
        }

        Assert.True(await Poll.UntilAsync(
            () => ke.Counters is { RefusedBusy: >= 1, ActiveConnections: 0 } c && c.HandshakesFailed.GetValueOrDefault("TimedOut") >= 2,
            TimeSpan.FromSeconds(10)), ke.Counters.ToString());
        // The slots are free again: a real client is served.
        NtsKeResult ok = await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, _pki.CaCert);
        Assert.Equal(8, ok.Cookies.Count);
        foreach (Socket s in silent) s.Dispose();
    }

    [Fact]
    public async Task BrokenTlsFromClients_IsCountedAndFreesEverySlot()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => WithSlots(s, 4, TimeSpan.FromSeconds(1)));
        int port = ke.LocalEndPoint.Port;
        byte[] notTls = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();
        // A handshake record header that promises far more than TLS allows (2^14 + 2048).
        byte[] hugeRecord = new byte[5 + 1024];
        hugeRecord[0] = 0x16;
        hugeRecord[1] = 0x03;
        hugeRecord[2] = 0x01;
        hugeRecord[3] = 0xFF;
        hugeRecord[4] = 0xFF;
        byte[] halfRecord = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01];

        async Task SendAndLeaveAsync(byte[] bytes, bool reset)
        {
            using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await s.ConnectAsync(IPAddress.Loopback, port);
            if (bytes.Length > 0) await s.SendAsync(bytes, SocketFlags.None);
            if (reset) s.LingerState = new LingerOption(true, 0);
            else s.Shutdown(SocketShutdown.Send);
        }

        await SendAndLeaveAsync(notTls, reset: false);
        await SendAndLeaveAsync(hugeRecord, reset: false);
        await SendAndLeaveAsync(halfRecord, reset: false);
        await SendAndLeaveAsync(halfRecord, reset: true);
        await SendAndLeaveAsync([], reset: true);

        // Every connection ends in a counted outcome (an escaped exception would be counted nowhere), and its slot is back.
        Assert.True(await Poll.UntilAsync(() => ke.Counters is { HandshakesFailedTotal: 5, ActiveConnections: 0 }, TimeSpan.FromSeconds(15)),
            string.Join(", ", ke.Counters.HandshakesFailed));
        NtsKeResult ok = await NtsKeClient.ExchangeAsync("127.0.0.1", port, _pki.CaCert);
        Assert.Equal(8, ok.Cookies.Count);
        Assert.Equal(1L, ke.Counters.ExchangeCount(NtsKeServerOutcome.KeysIssued));
        Assert.Equal(0L, ke.Counters.Faults);
    }

    [Fact]
    public async Task Tls12Clients_AreRejected()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        await using NtsKeServer ke = await StartServerAsync(keys.Store);
        var start = new ProcessStartInfo("openssl", $"s_client -connect 127.0.0.1:{ke.LocalEndPoint.Port} -tls1_2 -alpn ntske/1 -CAfile {_pki.CaCert}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000));
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("alert protocol version", output, StringComparison.Ordinal);
        Assert.Equal(0L, ke.Counters.HandshakesOk);
    }

    [Fact]
    public async Task ReloadCertificate_PutsTheFilesPairInServiceAndKeepsTheOldWhenTheNewIsUnusable()
    {
        using var pki = new TestPki();
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        string cert = Path.Combine(pki.Directory, "live.pem"), key = Path.Combine(pki.Directory, "live.key");
        File.Copy(pki.ServerCert, cert);
        File.Copy(pki.ServerKey, key);
        await using NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => s with { CertificatePath = cert, PrivateKeyPath = key });
        await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, pki.CaCert);

        // A broken file, an expired certificate and a key others may read each keep the old certificate in service.
        File.WriteAllText(cert, "garbage");
        Assert.Throws<InvalidDataException>(ke.ReloadCertificate);
        (string expiredCert, string expiredKey) = TestPki.SelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        File.WriteAllText(cert, expiredCert);
        File.WriteAllText(key, expiredKey);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Contains("expired", Assert.Throws<InvalidDataException>(ke.ReloadCertificate).Message, StringComparison.Ordinal);
        File.Copy(pki.ServerCert, cert, overwrite: true);
        File.Copy(pki.ServerKey, key, overwrite: true);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Assert.Contains("is mode 0440", Assert.Throws<InvalidDataException>(ke.ReloadCertificate).Message, StringComparison.Ordinal);
        await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, pki.CaCert);

        // A certificate from another CA takes over without a restart.
        using var next = new TestPki();
        File.Copy(next.ServerCert, cert, overwrite: true);
        File.Copy(next.ServerKey, key, overwrite: true);
        NtsKeCertificate reloaded = ke.ReloadCertificate();
        Assert.Same(reloaded, ke.Certificate);
        await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, next.CaCert);
        NtsKeException old = await Assert.ThrowsAsync<NtsKeException>(() => NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, pki.CaCert));
        Assert.Equal(NtsKeFailure.Tls, old.Failure);
        Assert.Contains("certificate verification", old.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateOutsideItsValidity_IsRefusedNamingTheFileAndTheTime()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string directory = Directory.CreateTempSubdirectory("fastntp-cert-").FullName;
        try
        {
            foreach ((DateTimeOffset from, DateTimeOffset until, string expected) in new[]
            {
                (now.AddDays(-30), now.AddDays(-1), "expired"),
                (now.AddDays(1), now.AddDays(30), "is not valid before"),
            })
            {
                (string certificate, string privateKey) = TestPki.SelfSigned(from, until);
                string cert = Path.Combine(directory, "cert.pem"), key = Path.Combine(directory, "key.pem");
                File.WriteAllText(cert, certificate);
                File.WriteAllText(key, privateKey);
                File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                InvalidDataException e = Assert.Throws<InvalidDataException>(() => NtsKeCertificate.Load(cert, key, now));
                Assert.StartsWith($"certificate '{cert}' {expected} ", e.Message, StringComparison.Ordinal);
            }

            (string valid, string validKey) = TestPki.SelfSigned(now.AddDays(-1), now.AddDays(10));
            File.WriteAllText(Path.Combine(directory, "cert.pem"), valid);
            File.WriteAllText(Path.Combine(directory, "key.pem"), validKey);
            var loaded = NtsKeCertificate.Load(Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"), now);
            Assert.True(loaded.ExpiresSoon(now));
            Assert.False(loaded.ExpiresSoon(now.AddDays(-10)));
            loaded.Context.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AdmissionHook_RefusesBeforeTheHandshakeAndCountersReachMetrics()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        bool admit = false;
        await using NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => s with { Admit = address => admit && IPAddress.IsLoopback(address) });
        NtsKeException refused = await Assert.ThrowsAsync<NtsKeException>(() => NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, _pki.CaCert));
        Assert.Equal(NtsKeFailure.Tls, refused.Failure);
        Assert.Equal(1L, ke.Counters.Refused);
        Assert.Equal(0L, ke.Counters.HandshakesOk);

        admit = true;
        await NtsKeClient.ExchangeAsync("127.0.0.1", ke.LocalEndPoint.Port, _pki.CaCert);
        Assert.True(await Poll.UntilAsync(() => ke.Counters.ExchangeCount(NtsKeServerOutcome.KeysIssued) == 1, TimeSpan.FromSeconds(5)));

        var none = CounterTotals.Sum([]);
        var report = new StatusReport("test", DateTime.UtcNow, "test", 1,
            AdvertisedState.From(FastNtp.Protocol.Server.ServerSnapshot.Unsynchronized(-20), default), none, NtsCounters.From(none, ke.Counters), []);
        string metrics = await MeterScrape.TextAsync(() => report);
        Assert.Contains("fastntp_ntske_handshakes_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_requests_total{outcome=\"KeysIssued\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_cookies_issued_total 8\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_refused_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_over_limit_total{reason=\"HandshakeRate\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fastntp_ntske_active_connections ", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_DrainsOpenConnectionsPromptly()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        NtsKeServer ke = await StartServerAsync(keys.Store, tweak: s => s with { Limits = s.Limits with { HandshakeTimeout = TimeSpan.FromMinutes(5) } });
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, ke.LocalEndPoint.Port);
        Assert.True(await Poll.UntilAsync(() => ke.Counters.ActiveConnections == 1, TimeSpan.FromSeconds(5)));

        // Kestrel tracks the connection; stopping cancels its wait instead of sitting out the five-minute deadline.
        var watch = Stopwatch.StartNew();
        await ke.DisposeAsync();
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(0L, ke.Counters.ActiveConnections);
        Assert.Equal(0L, ke.Counters.Faults);
    }
}
