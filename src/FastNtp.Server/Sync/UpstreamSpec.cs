using System.Diagnostics.CodeAnalysis;
using FastNtp.Protocol;
using FastNtp.Server.Configuration;

namespace FastNtp.Server.Sync;

/// <summary>One --upstream value: HOST[:PORT][,nts]. For an NTS source the port is the NTS-KE port (default 4460).</summary>
public sealed record UpstreamSpec(string Host, int Port, bool Nts)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out UpstreamSpec? spec)
    {
        spec = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string[] parts = text.Split(',', 2);
        bool nts = parts.Length == 2;
        if (nts && parts[1] != "nts") return false;
        if (!EndpointParser.TrySplitHostPort(parts[0], -1, out string host, out int port)) return false;
        if (port == -1) port = nts ? ProtocolConstants.NtsKePort : ProtocolConstants.NtpPort;
        if (host.Length == 0 || port is < 1 or > 65535) return false;
        spec = new UpstreamSpec(host, port, nts);
        return true;
    }

    public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + $":{Port}" + (Nts ? ",nts" : "");
}
