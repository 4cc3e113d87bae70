using System.Buffers.Binary;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// The NTS half of answering a request (RFC 8915 section 5): opens the cookie, authenticates the request with
/// C2S, and answers with the unique identifier and one fresh cookie per cookie and placeholder received, all
/// sealed with S2C. A cookie that cannot be opened earns an NTS NAK; anything else wrong is dropped. One
/// instance per worker thread: it owns scratch buffers and AEAD objects, and allocates nothing per packet on the
/// AES hardware path, new sessions included: their keys re-key a pooled AEAD object (see <see cref="SessionAeadCache"/>).
/// The only allocations are one-off: a worker's first session of each AEAD algorithm builds that algorithm's pool,
/// and a published cookie key set with a different number of keys rebuilds the cookie AEADs.
/// </summary>
public sealed class NtsResponder : IDisposable
{
    private const int AuthenticatorBodyHeader = 4;
    private const int MaxPlaintext = 4096;

    private readonly RandomPool _random = new();
    private readonly NtsCookieCodec _cookies;
    private readonly SessionAeadCache _sessions = new();
    private readonly byte[] _plaintext = new byte[MaxPlaintext];

    public NtsResponder(CookieKeyStore keys)
    {
        _cookies = new NtsCookieCodec(keys, _random);
    }

    /// <summary>NTS NAKs sent: requests whose cookie could not be opened.</summary>
    public long NaksSent;

    /// <summary>Requests with a valid cookie that failed authentication or were malformed.</summary>
    public long Rejected;

    /// <summary>Authenticated replies sent.</summary>
    public long Authenticated;

    /// <summary>Requests whose session keys were not in this worker's cache (a new or evicted session): each re-keyed two AEAD objects.</summary>
    public long SessionCacheMisses => Volatile.Read(ref _sessions.Misses);

    /// <summary>True when the fields after the header include an NTS cookie, i.e. the client asks for NTS.</summary>
    public static bool CarriesCookie(ReadOnlySpan<byte> afterHeader)
    {
        var reader = new ExtensionFieldReader(afterHeader);
        while (reader.MoveNext())
        {
            if (reader.Current.Type == NtsExtensionFieldType.Cookie) return true;
        }

        return false;
    }

    /// <summary>Answers an NTS request that <see cref="Responder.Validate"/> already accepted.</summary>
    internal ResponderResult Handle<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response, ref TClock clock)
        where TClock : struct, IClock
    {
        ReadOnlySpan<byte> uid = default, cookie = default;
        bool sawUid = false, sawCookie = false, sawAuthenticator = false;
        int placeholders = 0, placeholderLength = -1, authenticatorStart = 0;
        ReadOnlySpan<byte> authenticator = default;

        var reader = new ExtensionFieldReader(request[NtpHeader.Length..]);
        while (reader.MoveNext())
        {
            ExtensionField field = reader.Current;
            // Nothing may follow the authenticator: it would be unauthenticated.
            if (sawAuthenticator) return Reject();
            switch (field.Type)
            {
                case NtsExtensionFieldType.UniqueIdentifier:
                    if (sawUid || field.Value.Length < NtsExtensionFieldType.MinimumUniqueIdentifierLength) return Reject();
                    sawUid = true;
                    uid = field.Value;
                    break;
                case NtsExtensionFieldType.Cookie:
                    if (sawCookie) return Reject();
                    sawCookie = true;
                    cookie = field.Value;
                    break;
                case NtsExtensionFieldType.CookiePlaceholder:
                    if (placeholderLength >= 0 && placeholderLength != field.Value.Length) return Reject();
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

        if (!sawUid || !sawCookie || !sawAuthenticator) return Reject();
        // A placeholder stands for one cookie, so it must be as long as the cookie it reserves room for.
        if (placeholders > 0 && placeholderLength != cookie.Length) return Reject();

        Span<byte> keys = stackalloc byte[128];
        CookieOpenResult opened = _cookies.Open(cookie, out AeadAlgorithm algorithm, keys, out int keyLength);
        if (opened != CookieOpenResult.Ok)
        {
            keys.Clear();
            return Nak(request, info, snapshot, uid, response, ref clock);
        }

        ResponderResult result = Authenticate(request, info, snapshot, response, ref clock, uid, authenticator, authenticatorStart,
            algorithm, keys[..keyLength], keys.Slice(keyLength, keyLength), 1 + placeholders);
        keys.Clear();
        return result;
    }

    private ResponderResult Authenticate<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response, ref TClock clock,
        ReadOnlySpan<byte> uid, ReadOnlySpan<byte> authenticator, int authenticatorStart,
        AeadAlgorithm algorithm, ReadOnlySpan<byte> c2s, ReadOnlySpan<byte> s2c, int cookiesWanted)
        where TClock : struct, IClock
    {
        if (!TryReadAuthenticator(authenticator, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> ciphertext)) return Reject();

        _sessions.Get(algorithm, c2s, s2c, out Aead c2sAead, out Aead s2cAead);
        // GCM-SIV takes exactly its nonce length; SIV takes any, and RFC 8915 asks for at least 16 octets.
        bool nonceOk = algorithm == AeadAlgorithm.Aes128GcmSiv ? nonce.Length == c2sAead.NonceLength : nonce.Length >= NtsCookieCodec.NonceLength;
        if (!nonceOk || ciphertext.Length > MaxPlaintext + Aead.TagLength) return Reject();
        Span<byte> plaintext = _plaintext.AsSpan(0, ciphertext.Length - Aead.TagLength);
        if (!c2sAead.Open(nonce, request[..authenticatorStart], ciphertext, plaintext)) return Reject();
        // The encrypted part, if any, must itself be well-formed extension fields; none needs an answer.
        ExtensionFieldLayout inner = ExtensionFieldReader.Classify(plaintext);
        if (inner is not (ExtensionFieldLayout.None or ExtensionFieldLayout.Fields)) return Reject();

        int cookieLength = NtsCookieCodec.CookieLength(algorithm);
        int cookieField = ExtensionFieldWriter.FieldLength(cookieLength);
        int uidField = ExtensionField.HeaderLength + uid.Length;
        int serverNonce = s2cAead.NonceLength;
        int paddedNonce = (serverNonce + 3) & ~3;

        // Issue as many cookies as asked for, but never make the reply longer than the request.
        int limit = Math.Min(request.Length, response.Length);
        int cookies = cookiesWanted;
        int length;
        while (true)
        {
            length = NtpHeader.Length + uidField + ExtensionField.HeaderLength + AuthenticatorBodyHeader + paddedNonce +
                Aead.SealedLength(cookies * cookieField);
            if (length <= limit && cookies * cookieField <= MaxPlaintext) break;
            if (cookies == 0) return Reject();
            cookies--;
        }

        Span<byte> cookieFields = _plaintext.AsSpan(0, cookies * cookieField);
        for (int i = 0; i < cookies; i++)
        {
            Span<byte> field = cookieFields.Slice(i * cookieField, cookieField);
            BinaryPrimitives.WriteUInt16BigEndian(field, NtsExtensionFieldType.Cookie);
            BinaryPrimitives.WriteUInt16BigEndian(field[2..], (ushort)cookieField);
            _cookies.Seal(algorithm, c2s, s2c, field[ExtensionField.HeaderLength..]);
        }

        Responder.WriteReplyHeader(request, info.ReceiveTime, snapshot, response);
        int offset = NtpHeader.Length + ExtensionFieldWriter.Write(response[NtpHeader.Length..], NtsExtensionFieldType.UniqueIdentifier, uid);
        int authStart = offset;
        int sealedLength = Aead.SealedLength(cookieFields.Length);
        int authLength = length - authStart;
        BinaryPrimitives.WriteUInt16BigEndian(response[offset..], NtsExtensionFieldType.Authenticator);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 2)..], (ushort)authLength);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 4)..], (ushort)serverNonce);
        BinaryPrimitives.WriteUInt16BigEndian(response[(offset + 6)..], (ushort)sealedLength);
        Span<byte> responseNonce = response.Slice(offset + 8, paddedNonce);
        responseNonce.Clear();
        _random.Fill(responseNonce[..serverNonce]);

        // The transmit time is covered by the authenticator, so it is stamped before sealing.
        NtpHeader.WriteTransmitTime(response, clock.Now());
        s2cAead.Seal(responseNonce[..serverNonce], response[..authStart], cookieFields, response.Slice(offset + 8 + paddedNonce, sealedLength));
        cookieFields.Clear();
        Authenticated++;
        return ResponderResult.Respond(length);
    }

    /// <summary>Splits the authenticator body: nonce length, ciphertext length, nonce, ciphertext, padding.</summary>
    internal static bool TryReadAuthenticator(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> ciphertext)
    {
        nonce = default;
        ciphertext = default;
        if (body.Length < AuthenticatorBodyHeader) return false;
        int nonceLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        int ciphertextLength = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        int paddedNonce = (nonceLength + 3) & ~3;
        int paddedCiphertext = (ciphertextLength + 3) & ~3;
        if (nonceLength == 0 || ciphertextLength < Aead.TagLength || AuthenticatorBodyHeader + paddedNonce + paddedCiphertext > body.Length)
            return false;
        nonce = body.Slice(AuthenticatorBodyHeader, nonceLength);
        ciphertext = body.Slice(AuthenticatorBodyHeader + paddedNonce, ciphertextLength);
        return true;
    }

    /// <summary>Kiss-o'-Death NTSN with the unique identifier echoed and no authenticator (RFC 8915 section 5.7).</summary>
    private ResponderResult Nak<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, ReadOnlySpan<byte> uid, Span<byte> response, ref TClock clock)
        where TClock : struct, IClock
    {
        int length = NtpHeader.Length + ExtensionField.HeaderLength + uid.Length;
        if (length > response.Length || length > request.Length) return Reject();

        Responder.WriteReplyHeader(request, info.ReceiveTime, snapshot, response);
        response[0] = NtpHeader.FirstByte(LeapIndicator.Unsynchronized, (byte)((request[0] >> 3) & 0x7), NtpMode.Server);
        response[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(response[12..], ReferenceId.NtsNak.Value);
        ExtensionFieldWriter.Write(response[NtpHeader.Length..], NtsExtensionFieldType.UniqueIdentifier, uid);
        NtpHeader.WriteTransmitTime(response, clock.Now());
        NaksSent++;
        return ResponderResult.Respond(length);
    }

    private ResponderResult Reject()
    {
        Rejected++;
        return ResponderResult.Drop(DropReason.NtsInvalid);
    }

    public void Dispose()
    {
        _cookies.Dispose();
        _sessions.Dispose();
        Array.Clear(_plaintext);
    }
}
