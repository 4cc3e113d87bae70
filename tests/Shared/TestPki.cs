namespace FastNtp.Tests.Shared;

/// <summary>A throwaway CA and a server certificate for localhost / 127.0.0.1, made with the openssl command in a temp dir.</summary>
public sealed class TestPki : IDisposable
{
    /// <param name="keyType">ec or rsa.</param>
    /// <param name="serverAddresses">More addresses the certificate names, for servers inside a test's network namespace.</param>
    public TestPki(string keyType = "ec", params string[] serverAddresses)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fastntp-pki-").FullName;
        string newKey = keyType == "ec" ? "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" : "-newkey rsa:2048";
        Run($"req -x509 {newKey} -nodes -days 2 -subj /CN=FastNtp-Test-CA -keyout {CaKey} -out {CaCert}");
        Run($"req {newKey} -nodes -subj /CN=localhost -keyout {ServerKey} -out {Path.Combine(Directory, "server.csr")}");
        File.WriteAllText(Path.Combine(Directory, "ext.cnf"), $"subjectAltName=DNS:localhost,IP:127.0.0.1{string.Concat(serverAddresses.Select(a => ",IP:" + a))}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        Run($"x509 -req -in {Path.Combine(Directory, "server.csr")} -CA {CaCert} -CAkey {CaKey} -CAcreateserial -days 2 -extfile {Path.Combine(Directory, "ext.cnf")} -out {ServerCert}");
    }

    public string Directory { get; }
    public string CaCert => Path.Combine(Directory, "ca.pem");
    public string CaKey => Path.Combine(Directory, "ca.key");
    public string ServerCert => Path.Combine(Directory, "server.pem");
    public string ServerKey => Path.Combine(Directory, "server.key");

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>
    /// A self-signed P-256 certificate for localhost valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>
    /// and its private key, as PEM: expired or not yet valid ones for the validity checks.
    /// </summary>
    public static (string Certificate, string PrivateKey) SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using System.Security.Cryptography.X509Certificates.X509Certificate2 certificate = request.CreateSelfSigned(notBefore, notAfter);
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static void Run(string arguments) =>
        ExternalProcess.RunChecked(ExternalProcess.RequireProgram("openssl", "openssl"), arguments.Split(' '), TimeSpan.FromSeconds(60));
}

/// <summary>One <see cref="TestPki"/> for all the tests of a class (<c>IClassFixture&lt;TestPkiFixture&gt;</c>): key generation is slow.</summary>
public sealed class TestPkiFixture : IDisposable
{
    public TestPki Pki { get; } = new();

    public void Dispose() => Pki.Dispose();
}
