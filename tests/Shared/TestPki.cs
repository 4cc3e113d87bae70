using System.Diagnostics;

namespace FastNtp.Tests.Shared;

/// <summary>A throwaway CA and a server certificate for localhost / 127.0.0.1, made with the openssl command in a temp dir.</summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string keyType = "ec")
    {
        Directory = Path.Combine(Path.GetTempPath(), "fastntp-pki-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        string newKey = keyType == "ec" ? "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" : "-newkey rsa:2048";
        Run($"req -x509 {newKey} -nodes -days 2 -subj /CN=FastNtp-Test-CA -keyout {CaKey} -out {CaCert}");
        Run($"req {newKey} -nodes -subj /CN=localhost -keyout {ServerKey} -out {Path.Combine(Directory, "server.csr")}");
        File.WriteAllText(Path.Combine(Directory, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        Run($"x509 -req -in {Path.Combine(Directory, "server.csr")} -CA {CaCert} -CAkey {CaKey} -CAcreateserial -days 2 -extfile {Path.Combine(Directory, "ext.cnf")} -out {ServerCert}");
    }

    public string Directory { get; }
    public string CaCert => Path.Combine(Directory, "ca.pem");
    public string CaKey => Path.Combine(Directory, "ca.key");
    public string ServerCert => Path.Combine(Directory, "server.pem");
    public string ServerKey => Path.Combine(Directory, "server.key");

    public static void Run(string arguments)
    {
        var start = new ProcessStartInfo("openssl", arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("The openssl command is required for these tests.");
        string errors = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000)) throw new TimeoutException("openssl did not finish.");
        if (process.ExitCode != 0) throw new InvalidOperationException($"openssl {arguments} failed: {errors}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
