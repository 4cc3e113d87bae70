using System.Buffers.Binary;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// The NTS half of answering a request (RFC 8915 section 5): opens the cookie, authenticates the request with
/// C2S, and answers with the unique identifier and one fresh cookie per cookie and placeholder received, all
/// sealed with S2C. Under attack the rule is: structure is dropped, cryptography is NAKed. A request whose NTS
/// fields or authenticator layout are malformed is dropped silently (it is not a usable NTS request); one that is
/// well-formed but whose cookie does not open, or whose authenticator does not verify under the cookie's C2S key,
/// gets an NTS NAK (RFC 8915 section 5.7 SHOULD), so a client with stale or damaged keys re-runs NTS-KE instead
/// of timing out. A NAK is unauthenticated, never longer than the request and forgeable by anyone on the path
/// anyway, so sending it gives an attacker nothing new. One
/// instance per worker thread: it owns scratch buffers and AEAD objects, and allocates nothing per packet on the
/// AES hardware path, new sessions included: their keys re-key a pooled AEAD object (see <see cref="SessionAeadCache"/>).
/// The only allocations are one-off: a worker's first session of each AEAD algorithm builds that algorithm's pool,
/// and a published cookie key set with a different number of keys rebuilds the cookie AEADs.
/// </summary>
public sealed class NtsResponder : IDisposable
{
    private const int MaxPlaintext = 4096;

    private readonly RandomPool _random = new();
    private readonly NtsCookieCodec _cookies;
    private readonly SessionAeadCache _sessions = new();
    private readonly byte[] _plaintext = new byte[MaxPlaintext];

    public NtsResponder(CookieKeyStore keys)
    {
        _cookies = new NtsCookieCodec(keys, _random);
    }

    /// <summary>Answers an NTS request whose fields <see cref="Responder"/> has read (<see cref="NtsRequestFields.HasCookie"/>).</summary>
    internal ResponderResult Handle<TClock>(
        ReadOnlySpan<byte> request, in NtsRequestFields fields, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response, ref TClock clock)
        where TClock : struct, IClock
    {
        if (!fields.WellFormed) return Reject(NtsOutcome.None);

        Span<byte> keys = stackalloc byte[128];
        CookieOpenResult opened = _cookies.Open(fields.Cookie, out AeadAlgorithm algorithm, keys, out int keyLength);
        if (opened != CookieOpenResult.Ok)
        {
            keys.Clear();
            return Nak(request, info, snapshot, fields.UniqueId, response, ref clock, NtsOutcome.None);
        }

        ResponderResult result = Authenticate(request, fields, info, snapshot, response, ref clock,
            algorithm, keys[..keyLength], keys.Slice(keyLength, keyLength));
        keys.Clear();
        return result;
    }

    private ResponderResult Authenticate<TClock>(
        ReadOnlySpan<byte> request, in NtsRequestFields fields, in RequestInfo info, ServerSnapshot snapshot, Span<byte> response, ref TClock clock,
        AeadAlgorithm algorithm, ReadOnlySpan<byte> c2s, ReadOnlySpan<byte> s2c)
        where TClock : struct, IClock
    {
        if (!NtsAuthenticator.TryRead(fields.Authenticator, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> ciphertext)) return Reject(NtsOutcome.None);

        NtsOutcome keys = _sessions.Get(algorithm, c2s, s2c, out Aead c2sAead, out Aead s2cAead) ? NtsOutcome.None : NtsOutcome.SessionKeysLoaded;
        // GCM-SIV takes exactly its nonce length; SIV takes any, and RFC 8915 asks for at least 16 octets.
        bool nonceOk = algorithm == AeadAlgorithm.Aes128GcmSiv ? nonce.Length == c2sAead.NonceLength : nonce.Length >= NtsCookieCodec.NonceLength;
        if (!nonceOk || ciphertext.Length > MaxPlaintext + Aead.TagLength) return Reject(keys);
        Span<byte> plaintext = _plaintext.AsSpan(0, ciphertext.Length - Aead.TagLength);
        if (!c2sAead.Open(nonce, request[..fields.AuthenticatorStart], ciphertext, plaintext))
            return Nak(request, info, snapshot, fields.UniqueId, response, ref clock, keys);
        // The encrypted part, if any, must itself be well-formed extension fields; none needs an answer.
        ExtensionFieldLayout inner = ExtensionFieldReader.Classify(plaintext);
        if (inner is not (ExtensionFieldLayout.None or ExtensionFieldLayout.Fields)) return Reject(keys);

        int cookieLength = NtsCookieCodec.CookieLength(algorithm);
        int cookieField = ExtensionFieldWriter.FieldLength(cookieLength);
        ReadOnlySpan<byte> uid = fields.UniqueId;
        int uidField = ExtensionField.HeaderLength + uid.Length;
        int serverNonce = s2cAead.NonceLength;

        // Issue a cookie for the one spent and each placeholder, but never make the reply longer than the request.
        int limit = Math.Min(request.Length, response.Length);
        int cookies = 1 + fields.Placeholders;
        int length;
        while (true)
        {
            length = NtpHeader.Length + uidField + NtsAuthenticator.FieldLength(serverNonce, cookies * cookieField, 0);
            if (length <= limit && cookies * cookieField <= MaxPlaintext) break;
            if (cookies == 0) return Reject(keys);
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

        bool interleaved = Responder.WriteReplyHeader(request, info, snapshot, response);
        int authStart = NtpHeader.Length + ExtensionFieldWriter.Write(response[NtpHeader.Length..], NtsExtensionFieldType.UniqueIdentifier, uid);
        Span<byte> responseNonce = stackalloc byte[serverNonce];
        _random.Fill(responseNonce);
        // The transmit time is covered by the authenticator, so it is stamped before sealing.
        Responder.WriteTransmitTime(response, info, interleaved, snapshot, ref clock);
        NtsAuthenticator.Write(response[authStart..length], s2cAead, responseNonce, response[..authStart], cookieFields, 0);
        cookieFields.Clear();
        return ResponderResult.Respond(length, NtsOutcome.Authenticated | keys) with { Interleaved = interleaved };
    }

    /// <summary>Kiss-o'-Death NTSN with the unique identifier echoed and no authenticator (RFC 8915 section 5.7).</summary>
    private ResponderResult Nak<TClock>(
        ReadOnlySpan<byte> request, in RequestInfo info, ServerSnapshot snapshot, ReadOnlySpan<byte> uid, Span<byte> response, ref TClock clock,
        NtsOutcome keys)
        where TClock : struct, IClock
    {
        int length = NtpHeader.Length + ExtensionField.HeaderLength + uid.Length;
        if (length > response.Length || length > request.Length) return Reject(keys);

        Responder.WriteReplyHeader(request, info.ReceiveTime, NtpHeader.ReadTransmitTime(request), snapshot, response);
        response[0] = NtpHeader.FirstByte(LeapIndicator.Unsynchronized, (byte)((request[0] >> 3) & 0x7), NtpMode.Server);
        response[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(response[12..], ReferenceId.NtsNak.Value);
        ExtensionFieldWriter.Write(response[NtpHeader.Length..], NtsExtensionFieldType.UniqueIdentifier, uid);
        NtpHeader.WriteTransmitTime(response, snapshot.ServedTime(clock.Now()));
        return ResponderResult.Respond(length, NtsOutcome.Nak | keys);
    }

    private static ResponderResult Reject(NtsOutcome keys) => ResponderResult.Drop(DropReason.NtsInvalid, keys);

    public void Dispose()
    {
        _cookies.Dispose();
        _sessions.Dispose();
        Array.Clear(_plaintext);
    }
}
