using System.Security.Cryptography;
using System.Text;
using FastNtp.Server.Configuration;

namespace FastNtp.Server.Nts;

/// <summary>
/// The fleet's NTS root secret: 32 random octets as one line of hex, in a file only its owner may read. Every
/// server holding the same file derives the same cookie keys (<see cref="FastNtp.Protocol.Nts.CookieKeySet"/>).
/// </summary>
public static class NtsKeyFile
{
    public const int SecretLength = 32;

    /// <summary>Writes a new secret to <paramref name="path"/> with mode 0600; refuses to overwrite an existing file.</summary>
    public static void Generate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] secret = RandomNumberGenerator.GetBytes(SecretLength);
        string text = "# FastNtp NTS root secret (fastntp keygen). Keep it private; share it only across your fleet.\n" +
            Convert.ToHexString(secret).ToLowerInvariant() + "\n";
        CryptographicOperations.ZeroMemory(secret);

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>
    /// Reads a secret; throws <see cref="InvalidDataException"/> with a clear message when the file is unusable,
    /// group or others among them (<see cref="PrivateKeyFile"/>).
    /// </summary>
    public static byte[] Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PrivateKeyFile.EnsurePrivate(path, Environment.GetEnvironmentVariable(Credentials.DirectoryVariable));
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            byte[] secret;
            try
            {
                secret = Convert.FromHexString(line);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"NTS key file '{path}' does not hold a hex secret.");
            }

            if (secret.Length < SecretLength)
                throw new InvalidDataException($"NTS key file '{path}' holds {secret.Length} octets; at least {SecretLength} are needed.");
            return secret;
        }

        throw new InvalidDataException($"NTS key file '{path}' is empty.");
    }
}
