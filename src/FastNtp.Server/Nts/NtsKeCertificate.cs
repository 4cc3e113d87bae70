using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Configuration;

namespace FastNtp.Server.Nts;

/// <summary>
/// The NTS-KE server's TLS identity: the OpenSSL context built from the certificate chain and private key, and
/// the validity of the chain's first (leaf) certificate. The one place that knows when the certificate expires.
/// </summary>
public sealed class NtsKeCertificate
{
    /// <summary>How long before expiry the server warns, at start, at each reload and twice a day.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private NtsKeCertificate(TlsContext context, string path, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        Context = context;
        Path = path;
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    public TlsContext Context { get; }

    /// <summary>The certificate chain file it was read from.</summary>
    public string Path { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>
    /// Reads the pair and checks it: the private key only its owner may read (<see cref="PrivateKeyFile"/>), the
    /// leaf certificate valid at <paramref name="now"/>, the key matching it. Throws <see cref="InvalidDataException"/>
    /// or <see cref="OpenSslException"/> naming the file and the problem.
    /// </summary>
    public static NtsKeCertificate Load(string certificatePath, string privateKeyPath, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentException.ThrowIfNullOrEmpty(privateKeyPath);
        DateTimeOffset notBefore, notAfter;
        try
        {
            PrivateKeyFile.EnsurePrivate(privateKeyPath, Environment.GetEnvironmentVariable(Credentials.DirectoryVariable));
            using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            notBefore = leaf.NotBefore.ToUniversalTime();
            notAfter = leaf.NotAfter.ToUniversalTime();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read certificate '{certificatePath}': {e.Message}");
        }

        if (now < notBefore) throw new InvalidDataException($"certificate '{certificatePath}' is not valid before {notBefore:yyyy-MM-dd HH:mm:ss}Z");
        if (now > notAfter) throw new InvalidDataException($"certificate '{certificatePath}' expired {notAfter:yyyy-MM-dd HH:mm:ss}Z");
        return new NtsKeCertificate(TlsContext.CreateServer(certificatePath, privateKeyPath, NtsKeMessage.Alpn), certificatePath, notBefore, notAfter);
    }

    /// <summary>True when the certificate expires within <see cref="ExpiryWarning"/> of <paramref name="now"/>.</summary>
    public bool ExpiresSoon(DateTimeOffset now) => NotAfter - now < ExpiryWarning;
}
