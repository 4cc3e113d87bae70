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

/// <summary>The client side of NTS-protected NTP: builds requests and verifies replies (RFC 8915 section 5).</summary>
public static class NtsClientPacket
{
    public const int UniqueIdentifierLength = 32;

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
        // Room for a 16-octet server nonce even when ours is shorter (RFC 8915 section 5.6).
        int padding = Math.Max(0, NtsExtensionFieldType.MinimumNonceAndPadding - paddedNonce);
        int sealedLength = Aead.SealedLength(0);
        int authLength = ExtensionField.HeaderLength + 4 + paddedNonce + ((sealedLength + 3) & ~3) + padding;
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

        bool uidMatches = false, sawAuth = false;
        ReadOnlySpan<byte> authenticator = default;
        int authStart = 0;
        var reader = new ExtensionFieldReader(reply[NtpHeader.Length..]);
        while (reader.MoveNext())
        {
            ExtensionField field = reader.Current;
            if (sawAuth) return NtsReplyStatus.Invalid;
            if (field.Type == NtsExtensionFieldType.UniqueIdentifier)
            {
                if (uidMatches) return NtsReplyStatus.Invalid;
                uidMatches = field.Value.Length >= uniqueId.Length && field.Value[..uniqueId.Length].SequenceEqual(uniqueId);
                if (!uidMatches) return NtsReplyStatus.NotOurs;
            }
            else if (field.Type == NtsExtensionFieldType.Authenticator)
            {
                sawAuth = true;
                authenticator = field.Value;
                authStart = NtpHeader.Length + reader.Offset - field.Length;
            }
        }

        if (!uidMatches) return NtsReplyStatus.NotOurs;
        if (!sawAuth)
        {
            bool isNak = header.Stratum == 0 && header.ReferenceId == ReferenceId.NtsNak;
            return isNak ? NtsReplyStatus.Nak : NtsReplyStatus.Invalid;
        }

        if (!NtsResponder.TryReadAuthenticator(authenticator, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> ciphertext))
            return NtsReplyStatus.Invalid;
        var plaintext = new byte[ciphertext.Length - Aead.TagLength];
        if (!s2c.Open(nonce, reply[..authStart], ciphertext, plaintext)) return NtsReplyStatus.Invalid;

        var inner = new ExtensionFieldReader(plaintext);
        while (inner.MoveNext())
        {
            if (inner.Current.Type == NtsExtensionFieldType.Cookie) newCookies.Add(inner.Current.Value.ToArray());
        }

        return inner.Layout is ExtensionFieldLayout.Fields or ExtensionFieldLayout.None ? NtsReplyStatus.Ok : NtsReplyStatus.Invalid;
    }
}
