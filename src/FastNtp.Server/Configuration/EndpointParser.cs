using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace FastNtp.Server.Configuration;

/// <summary>Parses ADDR:PORT, [IPV6]:PORT, ADDR alone (default port) and HOST[:PORT] for names.</summary>
public static class EndpointParser
{
    /// <summary>An address endpoint such as 127.0.0.1:123 or [::1]:123; the port may be left out.</summary>
    public static bool TryParseAddress(string text, int defaultPort, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (!TrySplitHostPort(text, defaultPort, out string host, out int port)) return false;
        if (!IPAddress.TryParse(host, out IPAddress? address)) return false;
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Splits HOST[:PORT] where HOST may be a name, an IPv4 address or a bracketed IPv6 address.</summary>
    public static bool TrySplitHostPort(string text, int defaultPort, out string host, out int port)
    {
        host = "";
        port = defaultPort;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();

        string portText = "";
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return false;
            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') return false;
                portText = rest[1..];
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            // More than one colon without brackets is a bare IPv6 address with no port.
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) == colon)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            else
            {
                host = text;
            }
        }

        if (host.Length == 0) return false;
        if (portText.Length == 0) return !text.EndsWith(':');
        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
    }
}
