using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FastNtp.Protocol.Ntp;

/// <summary>
/// The 32-bit reference identifier: four ASCII characters for stratum 0 (kiss codes) and 1 (reference
/// clocks), an IPv4 address or the first four bytes of the MD5 of an IPv6 address above that.
/// </summary>
public readonly record struct ReferenceId(uint Value)
{
    public static readonly ReferenceId Local = FromAscii("LOCL");
    /// <summary>Kiss code: access denied, stop sending.</summary>
    public static readonly ReferenceId Deny = FromAscii("DENY");
    /// <summary>Kiss code: access restricted, stop sending.</summary>
    public static readonly ReferenceId Restricted = FromAscii("RSTR");
    /// <summary>Kiss code: rate exceeded, poll less often.</summary>
    public static readonly ReferenceId Rate = FromAscii("RATE");
    /// <summary>Kiss code (RFC 8915): the NTS cookie could not be used, run NTS-KE again.</summary>
    public static readonly ReferenceId NtsNak = FromAscii("NTSN");
    public static readonly ReferenceId Initializing = FromAscii("INIT");

    public static ReferenceId FromAscii(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length > 4) throw new ArgumentException("A reference id code has at most four characters.", nameof(code));
        uint value = 0;
        for (int i = 0; i < 4; i++)
        {
            char c = i < code.Length ? code[i] : '\0';
            if (c > 0x7F) throw new ArgumentException("A reference id code is ASCII.", nameof(code));
            value = (value << 8) | c;
        }

        return new ReferenceId(value);
    }

    public static ReferenceId FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return new ReferenceId(BinaryPrimitives.ReadUInt32BigEndian(bytes));

        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
#pragma warning disable CA5351 // RFC 5905 names MD5 for IPv6 reference ids; it is an identifier, not security.
        MD5.HashData(bytes[..written], digest);
#pragma warning restore CA5351
        return new ReferenceId(BinaryPrimitives.ReadUInt32BigEndian(digest));
    }

    /// <summary>
    /// Renders as text the way operators read it: ASCII for stratum 0 and 1 when the code is printable
    /// (chrony's local reference 127.127.1.1 is not), a dotted quad otherwise.
    /// </summary>
    public string ToString(byte stratum)
    {
        if (stratum <= 1 && TryFormatAscii(out string? code)) return code;
        return $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
    }

    private bool TryFormatAscii([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? code)
    {
        Span<char> chars = stackalloc char[4];
        int length = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            char c = (char)((Value >> shift) & 0xFF);
            // Codes shorter than four characters are padded with NULs at the end, and nowhere else.
            if (c == '\0' && (Value & ((1u << shift) - 1)) == 0) break;
            if (c is < ' ' or > '~')
            {
                code = null;
                return false;
            }

            chars[length++] = c;
        }

        code = length == 0 ? null : new string(chars[..length]);
        return code is not null;
    }

    public override string ToString() => $"0x{Value:X8}";
}
