using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// The NTS fields of a request, gathered in the one walk the server makes over its extension fields
/// (which also yields their <see cref="Layout"/> for the general checks). Never throws.
/// </summary>
public readonly ref struct NtsRequestFields
{
    private NtsRequestFields(
        ExtensionFieldLayout layout, bool wellFormed, bool hasCookie, ReadOnlySpan<byte> uniqueId, ReadOnlySpan<byte> cookie,
        int placeholders, ReadOnlySpan<byte> authenticator, int authenticatorStart)
    {
        Layout = layout;
        WellFormed = wellFormed;
        HasCookie = hasCookie;
        UniqueId = uniqueId;
        Cookie = cookie;
        Placeholders = placeholders;
        Authenticator = authenticator;
        AuthenticatorStart = authenticatorStart;
    }

    public ExtensionFieldLayout Layout { get; }

    /// <summary>One unique identifier (32+ octets), one cookie, placeholders as long as the cookie, an authenticator last.</summary>
    public bool WellFormed { get; }

    /// <summary>The client asks for NTS.</summary>
    public bool HasCookie { get; }

    public ReadOnlySpan<byte> UniqueId { get; }

    public ReadOnlySpan<byte> Cookie { get; }

    public int Placeholders { get; }

    /// <summary>The authenticator field's value.</summary>
    public ReadOnlySpan<byte> Authenticator { get; }

    /// <summary>Where the authenticator field starts, from the start of the packet: the end of what it authenticates.</summary>
    public int AuthenticatorStart { get; }

    /// <param name="afterHeader">The packet from octet 48 to its end.</param>
    public static NtsRequestFields Read(ReadOnlySpan<byte> afterHeader)
    {
        ReadOnlySpan<byte> uid = default, cookie = default, authenticator = default;
        bool sawUid = false, sawCookie = false, sawAuthenticator = false, wellFormed = true;
        int placeholders = 0, placeholderLength = -1, authenticatorStart = 0;

        var reader = new ExtensionFieldReader(afterHeader);
        while (reader.MoveNext())
        {
            ExtensionField field = reader.Current;
            // Nothing may follow the authenticator: it would be unauthenticated.
            if (sawAuthenticator) wellFormed = false;
            switch (field.Type)
            {
                case NtsExtensionFieldType.UniqueIdentifier:
                    wellFormed &= !sawUid && field.Value.Length >= NtsExtensionFieldType.MinimumUniqueIdentifierLength;
                    sawUid = true;
                    uid = field.Value;
                    break;
                case NtsExtensionFieldType.Cookie:
                    wellFormed &= !sawCookie;
                    sawCookie = true;
                    cookie = field.Value;
                    break;
                case NtsExtensionFieldType.CookiePlaceholder:
                    wellFormed &= placeholderLength < 0 || placeholderLength == field.Value.Length;
                    placeholderLength = field.Value.Length;
                    placeholders++;
                    break;
                case NtsExtensionFieldType.Authenticator:
                    sawAuthenticator = true;
                    authenticator = field.Value;
                    authenticatorStart = NtpHeader.Length + reader.Offset - field.Length;
                    break;
            }
        }

        // A placeholder stands for one cookie, so it must be as long as the cookie it reserves room for.
        wellFormed &= sawUid && sawCookie && sawAuthenticator && (placeholders == 0 || placeholderLength == cookie.Length);
        return new NtsRequestFields(reader.Layout, wellFormed, sawCookie, uid, cookie, placeholders, authenticator, authenticatorStart);
    }
}
