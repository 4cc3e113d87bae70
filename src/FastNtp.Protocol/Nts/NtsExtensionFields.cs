namespace FastNtp.Protocol.Nts;

/// <summary>NTP extension field types that NTS uses (RFC 8915 section 5.7, IANA NTP Extension Field Types).</summary>
public static class NtsExtensionFieldType
{
    public const ushort UniqueIdentifier = 0x0104;
    public const ushort Cookie = 0x0204;
    public const ushort CookiePlaceholder = 0x0304;
    public const ushort Authenticator = 0x0404;

    /// <summary>RFC 8915 section 5.3: the unique identifier carries at least 32 octets of randomness.</summary>
    public const int MinimumUniqueIdentifierLength = 32;

    /// <summary>Octets of nonce plus padding a request carries so a server's 16-octet nonce fits in the reply.</summary>
    public const int MinimumNonceAndPadding = 16;
}
