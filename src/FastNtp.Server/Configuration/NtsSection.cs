using System.Net;
using FastNtp.Protocol;

namespace FastNtp.Server.Configuration;

public sealed class NtsOptions
{
    public string? KeListen { get; set; }
    public string? Cert { get; set; }
    public string? Key { get; set; }
    public string? KeyFile { get; set; }
    public TimeSpan Rotation { get; set; } = TimeSpan.FromDays(1);
    public int StaleEpochs { get; set; } = 7;
    public string? NtpServer { get; set; }
    public int? NtpPort { get; set; }
}

/// <summary>The NTS-KE listener: where it listens and the TLS identity it presents.</summary>
public sealed record NtsKeListener(IPEndPoint Endpoint, string CertificatePath, string PrivateKeyPath);

/// <param name="KeListener">The NTS-KE listener, or null when this server issues no cookies.</param>
/// <param name="KeyFile">The fleet root secret from `fastntp keygen`; null means a random in-memory secret.</param>
/// <param name="Rotation">Cookie master key lifetime.</param>
/// <param name="StaleEpochs">How many previous epochs' cookies are still accepted.</param>
/// <param name="NtpServer">NTP server name NTS-KE hands out when NTP is served elsewhere; null names none.</param>
/// <param name="NtpPort">NTP port NTS-KE hands out; null names none (clients use 123).</param>
public sealed record NtsSettings(
    NtsKeListener? KeListener, string? KeyFile, TimeSpan Rotation, int StaleEpochs, string? NtpServer, int? NtpPort)
{
    /// <summary>NTS is on when this server issues cookies (an NTS-KE listener) or accepts a fleet's (a key file).</summary>
    public bool Enabled => KeListener is not null || KeyFile is not null;

    internal static NtsSettings From(NtsOptions o, SettingsErrors errors)
    {
        NtsKeListener? listener = null;
        if (!string.IsNullOrEmpty(o.KeListen))
        {
            if (!EndpointParser.TryParseAddress(o.KeListen, ProtocolConstants.NtsKePort, out IPEndPoint? endpoint))
                errors.Add("Nts:KeListen", $"'{o.KeListen}' is not ADDR:PORT");
            if (string.IsNullOrEmpty(o.Cert)) errors.Add("Nts:Cert", "NTS-KE needs a certificate chain PEM file");
            if (string.IsNullOrEmpty(o.Key)) errors.Add("Nts:Key", "NTS-KE needs a private key PEM file");
            if (endpoint is not null && !string.IsNullOrEmpty(o.Cert) && !string.IsNullOrEmpty(o.Key))
                listener = new NtsKeListener(endpoint, o.Cert, o.Key);
        }

        if (o.Rotation < TimeSpan.FromMinutes(1)) errors.Add("Nts:Rotation", $"{o.Rotation} is shorter than one minute");
        if (o.StaleEpochs is < 0 or > 1000) errors.Add("Nts:StaleEpochs", $"{o.StaleEpochs} is not 0 to 1000");
        if (o.NtpPort is < 1 or > 65535) errors.Add("Nts:NtpPort", $"{o.NtpPort} is not a port");

        return new NtsSettings(listener, string.IsNullOrEmpty(o.KeyFile) ? null : o.KeyFile, o.Rotation, o.StaleEpochs,
            string.IsNullOrEmpty(o.NtpServer) ? null : o.NtpServer, o.NtpPort);
    }
}
