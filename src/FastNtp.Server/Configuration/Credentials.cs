namespace FastNtp.Server.Configuration;

/// <summary>
/// systemd's credentials (<c>LoadCredential=fleet.key:/etc/fastntp/fleet.key</c>): systemd copies a root-only file
/// into a private directory the service user may read and names it in <c>$CREDENTIALS_DIRECTORY</c>. A key file
/// whose name is found there is read from there, so one configuration serves both a unit and a hand-started server.
/// </summary>
public static class Credentials
{
    public const string DirectoryVariable = "CREDENTIALS_DIRECTORY";

    /// <summary>The credential named like <paramref name="path"/>'s file when the directory holds one, else the path.</summary>
    public static string Resolve(string path, string? credentialsDirectory)
    {
        if (string.IsNullOrEmpty(credentialsDirectory)) return path;
        string credential = Path.Combine(credentialsDirectory, Path.GetFileName(path));
        return File.Exists(credential) ? credential : path;
    }
}
