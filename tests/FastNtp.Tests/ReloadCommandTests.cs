using FastNtp.Tests.Shared;
using FastNtp.Tests.Support;

namespace FastNtp.Tests;

/// <summary>`serve` on SIGHUP (systemd's ExecReload), and the certificate and key checks at start.</summary>
public sealed class ReloadCommandTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly string _keyFile;
    private readonly string _cert;
    private readonly string _key;
    private readonly string _config;

    public ReloadCommandTests()
    {
        _keyFile = Path.Combine(_pki.Directory, "fleet.key");
        (int exit, string output) = TestEnvironment.RunFastNtp(["keygen", "--out", _keyFile]);
        Assert.True(exit == 0, output);
        _cert = Path.Combine(_pki.Directory, "live.pem");
        _key = Path.Combine(_pki.Directory, "live.key");
        File.Copy(_pki.ServerCert, _cert);
        File.Copy(_pki.ServerKey, _key);
        _config = Path.Combine(_pki.Directory, "fastntp.json");
        WriteConfig(rateLimit: false);
    }

    public void Dispose() => _pki.Dispose();

    private void WriteConfig(bool rateLimit) => File.WriteAllText(_config, $$"""
        { "Nts": { "Cert": "{{_cert}}", "Key": "{{_key}}", "KeyFile": "{{_keyFile}}" }, "RateLimit": { "Enabled": {{(rateLimit ? "true" : "false")}} } }
        """);

    private static int NtsKe(int port, string ca) => TestEnvironment.RunFastNtp(["nts-ke", $"127.0.0.1:{port}", "--ca", ca]).ExitCode;

    /// <summary>Sends SIGHUP and waits for the <paramref name="count"/>-th reload line.</summary>
    private static string Hangup(ExternalProcess server, int count)
    {
        string[] Lines() => [.. server.Output.Split('\n').Where(l => l.Contains("SIGHUP: ", StringComparison.Ordinal))];
        server.Signal("HUP");
        Assert.True(Poll.Until(() => Lines().Length >= count, TimeSpan.FromSeconds(15)), server.Output);
        return Lines()[count - 1];
    }

    [Fact]
    public void Sighup_ReloadsTheCertificateKeepsTheOldWhenTheNewIsBadAndNamesWhatNeedsARestart()
    {
        int ntpPort = Ports.FreeUdpPort();
        int kePort = Ports.FreeTcpPort();
        using ExternalProcess server = TestEnvironment.StartServer(
            "--config", _config, "--listen", $"127.0.0.1:{ntpPort}", "--local-stratum", "1", "--nts-ke-listen", $"127.0.0.1:{kePort}");
        Assert.Equal(0, NtsKe(kePort, _pki.CaCert));

        // A renewed certificate from another CA is in service after SIGHUP.
        using var next = new TestPki();
        File.Copy(next.ServerCert, _cert, overwrite: true);
        File.Copy(next.ServerKey, _key, overwrite: true);
        string line = Hangup(server, 1);
        Assert.Contains($"SIGHUP: reloaded certificate {_cert} (valid until ", line, StringComparison.Ordinal);
        Assert.Contains(", the same fleet key", line, StringComparison.Ordinal);
        Assert.Equal(0, NtsKe(kePort, next.CaCert));
        Assert.NotEqual(0, NtsKe(kePort, _pki.CaCert));

        // A broken certificate keeps the one in service; a changed rate limit is named as needing a restart.
        File.WriteAllText(_cert, "garbage");
        WriteConfig(rateLimit: true);
        line = Hangup(server, 2);
        Assert.Contains($"kept the old certificate (cannot read certificate '{_cert}'", line, StringComparison.Ordinal);
        Assert.EndsWith("; changed but applied only by a restart: RateLimit:Enabled", line.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(0, NtsKe(kePort, next.CaCert));

        // A configuration that no longer parses changes nothing.
        File.WriteAllText(_config, "{ \"Nts\": ");
        line = Hangup(server, 3);
        Assert.Contains($"SIGHUP: configuration not reloaded, nothing changed: {_config}:1:10: not valid JSON", line, StringComparison.Ordinal);

        Assert.False(server.HasExited);
        Assert.Equal(0, TestEnvironment.RunFastNtp(["query", $"127.0.0.1:{ntpPort}"]).ExitCode);
        Assert.Equal(0, NtsKe(kePort, next.CaCert));
        server.Signal("TERM");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), server.Output);
        Assert.Equal(0, server.ExitCode);
    }

    [Fact]
    public void Serve_RefusesAnExpiredCertificateWithOneLine()
    {
        (string certificate, string privateKey) = TestPki.SelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-2));
        File.WriteAllText(_cert, certificate);
        File.WriteAllText(_key, privateKey);
        File.SetUnixFileMode(_key, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        (int exit, string output) = TestEnvironment.RunFastNtp(
            ["serve", "--config", _config, "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--nts-ke-listen", $"127.0.0.1:{Ports.FreeTcpPort()}"]);

        Assert.Equal(2, exit);
        Assert.StartsWith($"fastntp: --cert/--key: certificate '{_cert}' expired ", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tls", "0640")]
    [InlineData("fleet", "0604")]
    public void Serve_RefusesAKeyFileOthersMayReadNamingTheFileAndItsMode(string which, string mode)
    {
        string file = which == "tls" ? _key : _keyFile;
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(mode, 8));

        (int exit, string output) = TestEnvironment.RunFastNtp(
            ["serve", "--config", _config, "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--nts-ke-listen", $"127.0.0.1:{Ports.FreeTcpPort()}"]);

        Assert.Equal(2, exit);
        string option = which == "tls" ? "--cert/--key" : "--nts-key-file";
        Assert.Equal(
            $"fastntp: {option}: '{file}' is mode {mode}: group or others may read it; chmod 600 it (or 400)",
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
