using System.Buffers.Binary;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// The NTS Authenticator and Encrypted Extension Fields field (RFC 8915 section 5.6): nonce length, ciphertext
/// length, nonce, ciphertext (AEAD over everything before the field), each padded to four octets, then any
/// padding the sender adds. One codec for client requests and server replies. Allocates nothing.
/// </summary>
public static class NtsAuthenticator
{
    /// <summary>The nonce length and ciphertext length fields.</summary>
    public const int BodyHeaderLength = 4;

    /// <summary>
    /// The field's length for a nonce and a plaintext, with the nonce plus padding at least
    /// <paramref name="minimumNonceAndPadding"/> octets (clients: <see cref="NtsExtensionFieldType.MinimumNonceAndPadding"/>, servers: 0).
    /// </summary>
    public static int FieldLength(int nonceLength, int plaintextLength, int minimumNonceAndPadding) =>
        ExtensionField.HeaderLength + BodyHeaderLength + Math.Max(Pad(nonceLength), minimumNonceAndPadding) + Pad(Aead.SealedLength(plaintextLength));

    /// <summary>
    /// Writes the field at the start of <paramref name="field"/>, sealing <paramref name="plaintext"/> with
    /// <paramref name="aead"/> over <paramref name="associatedData"/> (the packet before the field). Returns the field's length.
    /// </summary>
    /// <exception cref="ArgumentException">The field does not fit (a caller bug: lengths are checked up front).</exception>
    public static int Write(
        Span<byte> field, Aead aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, int minimumNonceAndPadding)
    {
        ArgumentNullException.ThrowIfNull(aead);
        int length = FieldLength(nonce.Length, plaintext.Length, minimumNonceAndPadding);
        if (field.Length < length || length > ushort.MaxValue) throw new ArgumentException("The authenticator does not fit.", nameof(field));
        field = field[..length];
        field.Clear();
        int sealedLength = Aead.SealedLength(plaintext.Length);
        BinaryPrimitives.WriteUInt16BigEndian(field, NtsExtensionFieldType.Authenticator);
        BinaryPrimitives.WriteUInt16BigEndian(field[2..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(field[4..], (ushort)nonce.Length);
        BinaryPrimitives.WriteUInt16BigEndian(field[6..], (ushort)sealedLength);
        int nonceAt = ExtensionField.HeaderLength + BodyHeaderLength;
        nonce.CopyTo(field[nonceAt..]);
        aead.Seal(nonce, associatedData, plaintext, field.Slice(nonceAt + Pad(nonce.Length), sealedLength));
        return length;
    }

    /// <summary>Splits the field's value (after the 4-octet field header) into nonce and ciphertext; false when the lengths do not fit.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> ciphertext)
    {
        nonce = default;
        ciphertext = default;
        if (body.Length < BodyHeaderLength) return false;
        int nonceLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        int ciphertextLength = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (nonceLength == 0 || ciphertextLength < Aead.TagLength || BodyHeaderLength + Pad(nonceLength) + Pad(ciphertextLength) > body.Length)
            return false;
        nonce = body.Slice(BodyHeaderLength, nonceLength);
        ciphertext = body.Slice(BodyHeaderLength + Pad(nonceLength), ciphertextLength);
        return true;
    }

    private static int Pad(int length) => (length + 3) & ~3;
}
