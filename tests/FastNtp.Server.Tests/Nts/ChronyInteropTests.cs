using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;
using FastNtp.Tests.Shared;

namespace FastNtp.Server.Tests.Nts;

/// <summary>NTS interop with chrony 4.3 (/usr/sbin/chronyd) on loopback, both ways. Fails clearly when chronyd is missing.</summary>
public sealed class ChronyInteropTests : IDisposable
{
    private const string Chronyd = "/usr/sbin/chronyd";
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static int FreePort(SocketType type)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static Process StartChronyd(string arguments)
    {
        Assert.True(File.Exists(Chronyd), $"{Chronyd} is required for the chrony interop tests (apt-get install chrony).");
        var start = new ProcessStartInfo(Chronyd, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        return Process.Start(start) ?? throw new InvalidOperationException("chronyd did not start.");
    }

    [Fact]
    public async Task ChronyAsNtsClientSynchronizesAgainstFastNtp()
    {
        using var keys = CookieKeyManager.CreateEphemeral(TimeSpan.FromDays(1), 7);
        using var nts = new NtsResponder(keys.Store);
        using var ntp = new LoopbackNtpServer(new FastNtp.Protocol.Server.Responder(nts));
        var settings = new NtsKeServerSettings
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), CertificatePath = _pki.ServerCert, PrivateKeyPath = _pki.ServerKey, NtpPort = ntp.Port,
        };
        await using var ke = new NtsKeServer(settings, keys.Store);
        ke.Start();

        string conf = Path.Combine(_pki.Directory, "client.conf");
        File.WriteAllText(conf, $"""
            server 127.0.0.1 port {ntp.Port} nts ntsport {ke.LocalEndPoint.Port} iburst maxsamples 4
            ntstrustedcerts {_pki.CaCert}
            pidfile {Path.Combine(_pki.Directory, "client.pid")}
            cmdport 0
            """);
        using Process chronyd = StartChronyd($"-Q -u root -f {conf}");
        Task<string> stdout = chronyd.StandardOutput.ReadToEndAsync();
        Task<string> stderr = chronyd.StandardError.ReadToEndAsync();
        bool exited = chronyd.WaitForExit(60_000);
        if (!exited) chronyd.Kill();
        string output = await stdout + await stderr;

        Assert.True(exited, "chronyd -Q did not finish: " + output);
        Assert.True(chronyd.ExitCode == 0, output);
        Assert.Contains("System clock wrong by", output, StringComparison.Ordinal);
        Assert.Equal(1L, ke.Completed);
        Assert.True(nts.Authenticated >= 3, $"authenticated {nts.Authenticated}, rejected {nts.Rejected}, naks {nts.NaksSent}: {output}");
        Assert.Equal(0L, nts.Rejected);
        Assert.Equal(0L, nts.NaksSent);
    }

    [Fact]
    public async Task FastNtpQueriesChronyAsNtsServer()
    {
        int ntpPort = FreePort(SocketType.Dgram);
        int kePort = FreePort(SocketType.Stream);
        string conf = Path.Combine(_pki.Directory, "server.conf");
        File.WriteAllText(conf, $"""
            port {ntpPort}
            ntsport {kePort}
            ntsservercert {_pki.ServerCert}
            ntsserverkey {_pki.ServerKey}
            ntsdumpdir {_pki.Directory}
            local stratum 1
            allow 127.0.0.1
            bindaddress 127.0.0.1
            cmdport 0
            pidfile {Path.Combine(_pki.Directory, "server.pid")}
            """);
        using Process chronyd = StartChronyd($"-x -d -u root -f {conf}");
        try
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

            Assert.True(result is not null, "no NTS exchange with chronyd: " + last);
            Assert.True(result!.Sample.IsValid, result.Sample.Error.ToString());
            Assert.Equal(1, result.Sample.Stratum);
            Assert.InRange(Math.Abs(result.Sample.Offset.TotalSeconds), 0, 0.5);
            Assert.NotEmpty(result.Cookies);
        }
        finally
        {
            chronyd.Kill();
            chronyd.WaitForExit(10_000);
        }
    }
}
