using System.Buffers.Binary;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Nts;

public enum NtsReplyStatus : byte
{
    /// <summary>Authentic reply to our request.</summary>
    Ok,
    /// <summary>The server sent an NTS NAK for our unique identifier: run NTS-KE again.</summary>
    Nak,
    /// <summary>Not a reply to our request (wrong mode, origin or unique identifier): ignore it.</summary>
    NotOurs,
    /// <summary>A reply to our request that failed authentication or is malformed.</summary>
    Invalid,
}

/// <summary>What the NTS fields of a reply say, checked without allocating (<see cref="NtsClientPacket.CheckFields"/>).</summary>
public enum NtsReplyCheck : byte
{
    /// <summary>Our unique identifier, and an authenticator, last, that opens with S2C over everything before it.</summary>
    Authentic,
    NoUniqueIdentifier,
    /// <summary>Another request's reply.</summary>
    WrongUniqueIdentifier,
    /// <summary>Our identifier but no authenticator: an NTS NAK when the header is a kiss-o'-death NTSN.</summary>
    NoAuthenticator,
    /// <summary>Fields that overrun, repeat, follow the authenticator, or do not parse inside the ciphertext.</summary>
    Malformed,
    AuthenticationFailed,
}

/// <summary>The client side of NTS-protected NTP: builds requests and verifies replies (RFC 8915 section 5).</summary>
public static class NtsClientPacket
{
    public const int UniqueIdentifierLength = 32;

    /// <summary>
    /// How many of <paramref name="wanted"/> cookie placeholders fit in <paramref name="destinationLength"/> octets
    /// together with the rest of a request carrying a <paramref name="cookieLength"/>-octet cookie: a server picks
    /// its cookie size, and a large one must shrink the request, not overrun the buffer.
    /// </summary>
    public static int PlaceholdersThatFit(int destinationLength, int cookieLength, int nonceLength, int wanted)
    {
        int cookieField = ExtensionFieldWriter.FieldLength(cookieLength);
        int fixedPart = NtpHeader.Length + ExtensionFieldWriter.FieldLength(UniqueIdentifierLength) + cookieField + AuthenticatorLength(nonceLength);
        int room = destinationLength - fixedPart;
        return room <= 0 ? 0 : Math.Clamp(room / cookieField, 0, wanted);
    }

    private static int AuthenticatorLength(int nonceLength)
    {
        int paddedNonce = (nonceLength + 3) & ~3;
        // Room for a 16-octet server nonce even when ours is shorter (RFC 8915 section 5.6).
        int padding = Math.Max(0, NtsExtensionFieldType.MinimumNonceAndPadding - paddedNonce);
        return ExtensionField.HeaderLength + 4 + paddedNonce + ((Aead.SealedLength(0) + 3) & ~3) + padding;
    }

    /// <summary>
    /// Writes an NTPv4 client request with the unique identifier, the cookie, <paramref name="placeholders"/> cookie
    /// placeholders and an authenticator over all of it (empty encrypted part). Returns the packet length.
    /// </summary>
    public static int Write(
        Span<byte> destination, NtpTimestamp transmitTime, ReadOnlySpan<byte> uniqueId, ReadOnlySpan<byte> cookie, int placeholders,
        Aead c2s, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(c2s);
        if (uniqueId.Length < NtsExtensionFieldType.MinimumUniqueIdentifierLength) throw new ArgumentException("The unique identifier is at least 32 octets.", nameof(uniqueId));
        if (nonce.Length != c2s.NonceLength) throw new ArgumentException("Wrong nonce length for the algorithm.", nameof(nonce));

        var header = new NtpHeader { Leap = LeapIndicator.Unsynchronized, Version = 4, Mode = NtpMode.Client, TransmitTime = transmitTime };
        header.Write(destination);
        int offset = NtpHeader.Length;
        offset += ExtensionFieldWriter.Write(destination[offset..], NtsExtensionFieldType.UniqueIdentifier, uniqueId);
        offset += ExtensionFieldWriter.Write(destination[offset..], NtsExtensionFieldType.Cookie, cookie);
        int cookieValue = ExtensionFieldWriter.FieldLength(cookie.Length) - ExtensionField.HeaderLength;
        for (int i = 0; i < placeholders; i++)
        {
            int fieldLength = ExtensionField.HeaderLength + cookieValue;
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], NtsExtensionFieldType.CookiePlaceholder);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], (ushort)fieldLength);
            destination.Slice(offset + ExtensionField.HeaderLength, cookieValue).Clear();
            offset += fieldLength;
        }

        int authStart = offset;
        int paddedNonce = (nonce.Length + 3) & ~3;
        int sealedLength = Aead.SealedLength(0);
        int authLength = AuthenticatorLength(nonce.Length);
        Span<byte> auth = destination.Slice(offset, authLength);
        auth.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(auth, NtsExtensionFieldType.Authenticator);
        BinaryPrimitives.WriteUInt16BigEndian(auth[2..], (ushort)authLength);
        BinaryPrimitives.WriteUInt16BigEndian(auth[4..], (ushort)nonce.Length);
        BinaryPrimitives.WriteUInt16BigEndian(auth[6..], (ushort)sealedLength);
        nonce.CopyTo(auth[8..]);
        c2s.Seal(nonce, destination[..authStart], [], auth.Slice(8 + paddedNonce, sealedLength));
        return offset + authLength;
    }

    /// <summary>
    /// Checks a reply against the request we sent and, when authentic, adds the cookies it carries to
    /// <paramref name="newCookies"/>. Never throws on bad input.
    /// </summary>
    public static NtsReplyStatus Verify(
        ReadOnlySpan<byte> reply, NtpTimestamp sentTransmitTime, ReadOnlySpan<byte> uniqueId, Aead s2c, List<byte[]> newCookies)
    {
        ArgumentNullException.ThrowIfNull(s2c);
        ArgumentNullException.ThrowIfNull(newCookies);
        if (!NtpHeader.TryRead(reply, out NtpHeader header) || header.Mode != NtpMode.Server || header.OriginTime != sentTransmitTime)
            return NtsReplyStatus.NotOurs;

        Span<byte> plaintext = stackalloc byte[MaxEncryptedLength];
        switch (CheckFields(reply, uniqueId, s2c, plaintext, out int plaintextLength))
        {
            case NtsReplyCheck.Authentic:
                var inner = new ExtensionFieldReader(plaintext[..plaintextLength]);
                while (inner.MoveNext())
                {
                    if (inner.Current.Type == NtsExtensionFieldType.Cookie) newCookies.Add(inner.Current.Value.ToArray());
                }

                plaintext.Clear();
                return NtsReplyStatus.Ok;
            case NtsReplyCheck.NoUniqueIdentifier or NtsReplyCheck.WrongUniqueIdentifier:
                return NtsReplyStatus.NotOurs;
            case NtsReplyCheck.NoAuthenticator:
                bool isNak = header.Stratum == 0 && header.ReferenceId == ReferenceId.NtsNak;
                return isNak ? NtsReplyStatus.Nak : NtsReplyStatus.Invalid;
            default:
                return NtsReplyStatus.Invalid;
        }
    }

    /// <summary>The largest encrypted part (new cookies) a reply to us can carry: replies are never longer than requests.</summary>
    public const int MaxEncryptedLength = 2048;

    /// <summary>
    /// Checks the NTS fields after the header: our unique identifier (padding allowed), then an authenticator,
    /// last, that opens with <paramref name="s2c"/> over everything before it. On success the decrypted part (new
    /// cookies as extension fields) is in <paramref name="plaintext"/>[..<paramref name="plaintextLength"/>].
    /// Allocates nothing and never throws on bad input; the header is the caller's to check.
    /// </summary>
    public static NtsReplyCheck CheckFields(
        ReadOnlySpan<byte> reply, ReadOnlySpan<byte> uniqueId, Aead s2c, Span<byte> plaintext, out int plaintextLength)
    {
        ArgumentNullException.ThrowIfNull(s2c);
        plaintextLength = 0;
        if (reply.Length < NtpHeader.Length) return NtsReplyCheck.Malformed;

        bool sawUid = false, uidMatches = false;
        int authStart = -1;
        ReadOnlySpan<byte> authenticator = default;
        var reader = new ExtensionFieldReader(reply[NtpHeader.Length..]);
        while (reader.MoveNext())
        {
            ExtensionField field = reader.Current;
            // The authenticator must be the last field: anything after it would be unauthenticated.
            if (authStart >= 0) return NtsReplyCheck.Malformed;
            if (field.Type == NtsExtensionFieldType.UniqueIdentifier)
            {
                if (sawUid) return NtsReplyCheck.Malformed;
                sawUid = true;
                uidMatches = field.Value.Length == ((uniqueId.Length + 3) & ~3) && field.Value[..uniqueId.Length].SequenceEqual(uniqueId);
            }
            else if (field.Type == NtsExtensionFieldType.Authenticator)
            {
                authenticator = field.Value;
                authStart = NtpHeader.Length + reader.Offset - field.Length;
            }
        }

        if (reader.Layout != ExtensionFieldLayout.Fields) return sawUid ? NtsReplyCheck.Malformed : NtsReplyCheck.NoUniqueIdentifier;
        if (!sawUid) return NtsReplyCheck.NoUniqueIdentifier;
        if (!uidMatches) return NtsReplyCheck.WrongUniqueIdentifier;
        if (authStart < 0) return NtsReplyCheck.NoAuthenticator;

        if (!NtsResponder.TryReadAuthenticator(authenticator, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> sealedData) ||
            sealedData.Length - Aead.TagLength > plaintext.Length)
        {
            return NtsReplyCheck.Malformed;
        }
        // AES-GCM-SIV takes exactly its nonce length; a server that sends another cannot be authentic.
        if (s2c.Algorithm == AeadAlgorithm.Aes128GcmSiv && nonce.Length != s2c.NonceLength) return NtsReplyCheck.AuthenticationFailed;

        Span<byte> opened = plaintext[..(sealedData.Length - Aead.TagLength)];
        if (!s2c.Open(nonce, reply[..authStart], sealedData, opened)) return NtsReplyCheck.AuthenticationFailed;
        if (ExtensionFieldReader.Classify(opened) is not (ExtensionFieldLayout.Fields or ExtensionFieldLayout.None))
            return NtsReplyCheck.Malformed;

        plaintextLength = opened.Length;
        return NtsReplyCheck.Authentic;
    }
}
