using System.Globalization;

namespace FastNtp.Server.Nts;

/// <summary>
/// Secret files (the fleet key, the TLS private key) are refused when group or others may read them, as ssh
/// refuses a loose private key. In systemd's credentials directory only the others' bits count: systemd grants
/// the service's user read access through an ACL, whose mask shows in the group bits of a file no group can read.
/// </summary>
public static class PrivateKeyFile
{
    private const UnixFileMode Others = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    private const UnixFileMode GroupOrOthers = Others | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file and its mode when group or others have any access.</summary>
    /// <param name="credentialsDirectory">systemd's <c>$CREDENTIALS_DIRECTORY</c>, or null.</param>
    public static void EnsurePrivate(string path, string? credentialsDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows()) return;
        UnixFileMode mode = File.GetUnixFileMode(path);
        bool credential = !string.IsNullOrEmpty(credentialsDirectory) &&
            string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(credentialsDirectory)), StringComparison.Ordinal);
        if ((mode & (credential ? Others : GroupOrOthers)) == 0) return;
        string octal = Convert.ToString((int)mode & 0x1ff, 8).PadLeft(4, '0');
        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"'{path}' is mode {octal}: group or others may read it; chmod 600 it (or 400)"));
    }
}
