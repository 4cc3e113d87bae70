using FastNtp.Server.Nts;

namespace FastNtp.Server.Tests.Configuration;

public sealed class CredentialsTests : IDisposable
{
    private readonly string _credentials = Directory.CreateTempSubdirectory("fastntp-credentials-").FullName;

    public void Dispose() => Directory.Delete(_credentials, recursive: true);

    private static FastNtpSettings Load(string? credentialsDirectory)
    {
        var environment = new Dictionary<string, string?>();
        if (credentialsDirectory is not null) environment[Credentials.DirectoryVariable] = credentialsDirectory;
        return ConfigurationLoader.Load(null,
        [
            new("Nts:KeyFile", "/etc/fastntp/fleet.key"), new("Nts:KeListen", "127.0.0.1:4460"),
            new("Nts:Cert", "/etc/fastntp/tls.crt"), new("Nts:Key", "/etc/fastntp/tls.key"),
        ], environment);
    }

    [Fact]
    public void KeyFiles_AreReadFromTheCredentialsDirectoryWhereItHoldsThem()
    {
        File.WriteAllText(Path.Combine(_credentials, "fleet.key"), "");
        File.WriteAllText(Path.Combine(_credentials, "tls.key"), "");

        NtsSettings nts = Load(_credentials).Nts;

        Assert.Equal(Path.Combine(_credentials, "fleet.key"), nts.KeyFile);
        Assert.Equal(Path.Combine(_credentials, "tls.key"), nts.KeListener!.PrivateKeyPath);
        // No tls.crt credential: the configured path stays.
        Assert.Equal("/etc/fastntp/tls.crt", nts.KeListener.CertificatePath);
    }

    [Fact]
    public void NoCredentialsDirectory_LeavesTheConfiguredPaths()
    {
        NtsSettings nts = Load(null).Nts;

        Assert.Equal("/etc/fastntp/fleet.key", nts.KeyFile);
        Assert.Equal("/etc/fastntp/tls.crt", nts.KeListener!.CertificatePath);
        Assert.Equal("/etc/fastntp/tls.key", nts.KeListener.PrivateKeyPath);
    }

    [Fact]
    public async Task ServerStartedByTheUnit_ReadsTheFleetKeyFromItsCredential()
    {
        // systemd's copy is readable by the service user while the configured file is root's; the copy must win.
        string credential = Path.Combine(_credentials, "fleet.key");
        NtsKeyFile.Generate(credential);

        await using var service = NtsService.Create(Load(_credentials).Nts with { KeListener = null });

        Assert.NotNull(service);
    }
}
