using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>
/// Interleaved mode end to end (issue 15): `chronyd -x` with <c>xleave</c> in one network namespace polls `fastntp
/// serve` in another, across a veth pair, and reports the association interleaved (chronyc ntpdata), plain and NTS.
/// </summary>
public sealed class InterleavedEndToEndTests : IDisposable
{
    private const string InterleavedYes = "Interleaved     : Yes";
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(40);

    private readonly VethNamespacePair _net = new();
    private readonly TestPki _pki;
    private readonly string _directory = Directory.CreateTempSubdirectory("fastntp-xleave-e2e-").FullName;

    public InterleavedEndToEndTests()
    {
        _pki = new TestPki("ec", _net.ServerV4);
    }

    public void Dispose()
    {
        _net.Dispose();
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private ExternalProcess StartServer(params string[] more)
    {
        ExternalProcess server = _net.StartInServer("env",
            ["FASTNTP__SERVER__INTERLEAVED=true", "dotnet", TestEnvironment.FastNtpDll, "serve", "--listen", $"{_net.ServerV4}:123", "--local-stratum", "2", "--workers", "1", .. more]);
        if (!server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), TestEnvironment.StartTimeout))
        {
            string output = server.Output;
            server.Dispose();
            Assert.Fail($"fastntp serve did not start: {output}");
        }

        return server;
    }

    /// <summary>Runs chronyd (never touching the clock) with <paramref name="serverLine"/> until chronyc reports interleaved mode; returns its last ntpdata.</summary>
    private string RunChronyClient(string serverLine, params string[] more)
    {
        string chronyd = Chronyd.RequireInstalled();
        string chronyc = ExternalProcess.RequireProgram("chronyc", "chrony");
        string socket = Path.Combine(_directory, "chronyd.sock");
        string conf = Path.Combine(_directory, "chrony.conf");
        File.WriteAllLines(conf,
        [
            serverLine, $"bindcmdaddress {socket}", "cmdport 0", $"pidfile {Path.Combine(_directory, "chronyd.pid")}",
            $"ntsdumpdir {_directory}", .. more,
        ]);
        using ExternalProcess client = _net.StartInClient(chronyd, ["-x", "-d", "-u", "root", "-f", conf]);
        string ntpdata = "";
        Poll.Until(() =>
        {
            ntpdata = _net.RunInClient(chronyc, ["-h", socket, "-n", "ntpdata", _net.ServerV4], TimeSpan.FromSeconds(10)).Output;
            return ntpdata.Contains(InterleavedYes, StringComparison.Ordinal);
        }, ReportTimeout);
        Assert.True(ntpdata.Contains(InterleavedYes, StringComparison.Ordinal), $"{ntpdata}\nchronyd: {client.Output}");
        return ntpdata;
    }

    [Fact]
    public void ChronyClientWithXleave_ReportsInterleavedModeAgainstFastntpServe()
    {
        using ExternalProcess server = StartServer();

        string ntpdata = RunChronyClient($"server {_net.ServerV4} iburst xleave minpoll -4 maxpoll -4");

        Assert.Contains("Mode            : Server", ntpdata, StringComparison.Ordinal);
        Assert.Contains("Stratum         : 2", ntpdata, StringComparison.Ordinal);
    }

    [Fact]
    public void NtsChronyClientWithXleave_ReportsInterleavedModeAgainstFastntpServe()
    {
        string keyFile = Path.Combine(_pki.Directory, "fleet.key");
        (int exit, string output) = TestEnvironment.RunFastNtp(["keygen", "--out", keyFile]);
        Assert.True(exit == 0, output);
        using ExternalProcess server = StartServer(
            "--nts-ke-listen", $"{_net.ServerV4}:4460", "--cert", _pki.ServerCert, "--key", _pki.ServerKey, "--nts-key-file", keyFile);

        string ntpdata = RunChronyClient($"server {_net.ServerV4} iburst nts xleave minpoll -4 maxpoll -4", $"ntstrustedcerts {_pki.CaCert}");

        Assert.Contains("Authenticated   : Yes", ntpdata, StringComparison.Ordinal);
    }
}
