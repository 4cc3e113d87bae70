using System.Buffers.Binary;
using System.Security.Cryptography;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;

namespace FastNtp.LoadTest;

/// <summary>
/// One load thread's NTS state: the keys and cookies of one NTS-KE exchange, and what it takes to build an
/// NTS-protected request and check its reply without allocating (RFC 8915 section 5).
/// <para>
/// Per request the generator needs a unique identifier and a nonce that never repeats under the C2S key. It
/// is a test tool, not a security boundary, so both come from counters rather than from a random source:
/// the unique identifier is a random per-session prefix followed by the request's transmit timestamp (which
/// carries the thread's sequence number, so it is unique and lets a reply be matched without a table), and
/// the nonce is a random per-session prefix followed by a 64-bit counter. Servers accept both: they only
/// echo the identifier, and AES-SIV / AES-GCM-SIV only need the nonce not to repeat.
/// </para>
/// <para>
/// Cookies are reused round-robin: the servers under test (FastNtp, chrony) keep no per-cookie state, so a
/// cookie may be sent many times. The fresh cookies in each reply are authenticated but not kept.
/// </para>
/// Not thread-safe: one per load thread.
/// </summary>
internal sealed class NtsLoadSession : IDisposable
{
    private const int UidPrefixLength = NtsClientPacket.UniqueIdentifierLength - 8;
    private const int AuthenticatorBodyHeader = 4;

    private readonly Aead _c2s;
    private readonly Aead _s2c;
    private readonly byte[][] _cookies;
    private readonly byte[] _uid = new byte[NtsClientPacket.UniqueIdentifierLength];
    private readonly byte[] _expectedUid = new byte[NtsClientPacket.UniqueIdentifierLength];
    private readonly byte[] _nonce;
    private readonly byte[] _plaintext = new byte[4096];
    private readonly int _nonceCounterOffset;
    private ulong _nonceCounter;
    private int _nextCookie;

    /// <param name="seed">Random bytes for the identifier and nonce prefixes (at least 32).</param>
    public NtsLoadSession(AeadAlgorithm algorithm, ReadOnlySpan<byte> c2sKey, ReadOnlySpan<byte> s2cKey, IReadOnlyList<byte[]> cookies,
        int placeholders, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(cookies);
        if (cookies.Count == 0) throw new ArgumentException("NTS-KE gave no cookie.", nameof(cookies));
        ArgumentOutOfRangeException.ThrowIfNegative(placeholders);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(placeholders, MaxPlaceholders);
        if (seed.Length < 32) throw new ArgumentException("The seed is at least 32 bytes.", nameof(seed));
        Algorithm = algorithm;
        _c2s = Aead.Create(algorithm, c2sKey);
        _s2c = Aead.Create(algorithm, s2cKey);
        _cookies = [.. cookies];
        Placeholders = placeholders;
        seed[..UidPrefixLength].CopyTo(_uid);
        seed[..UidPrefixLength].CopyTo(_expectedUid);
        _nonce = new byte[_c2s.NonceLength];
        _nonceCounterOffset = _nonce.Length - 8;
        seed.Slice(UidPrefixLength, _nonceCounterOffset).CopyTo(_nonce);

        int longestCookie = 0;
        foreach (byte[] c in _cookies) longestCookie = Math.Max(longestCookie, c.Length);
        int cookieField = ExtensionFieldWriter.FieldLength(longestCookie);
        MaxRequestLength = NtpHeader.Length + ExtensionFieldWriter.FieldLength(_uid.Length) + cookieField * (1 + placeholders) +
            ExtensionField.HeaderLength + AuthenticatorBodyHeader + Math.Max(NtsExtensionFieldType.MinimumNonceAndPadding, (_nonce.Length + 3) & ~3) +
            Aead.SealedLength(0);
    }

    /// <summary>RFC 8915 asks clients for at most 7 placeholders (8 cookies in hand).</summary>
    public const int MaxPlaceholders = 7;

    public AeadAlgorithm Algorithm { get; }

    public int Placeholders { get; }

    /// <summary>The longest request <see cref="WriteRequest"/> writes.</summary>
    public int MaxRequestLength { get; }

    /// <summary>A session from an NTS-KE result; the prefixes are drawn from the system's random source.</summary>
    public static NtsLoadSession FromKeyExchange(FastNtp.Server.Nts.NtsKeResult session, int placeholders)
    {
        ArgumentNullException.ThrowIfNull(session);
        Span<byte> seed = stackalloc byte[32];
        RandomNumberGenerator.Fill(seed);
        return new NtsLoadSession(session.Algorithm, session.C2SKey, session.S2CKey, session.Cookies, placeholders, seed);
    }

    /// <summary>Writes an NTS-protected request carrying <paramref name="transmit"/>; returns its length. Allocates nothing.</summary>
    public int WriteRequest(Span<byte> destination, ulong transmit)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_uid.AsSpan(UidPrefixLength), transmit);
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(_nonceCounterOffset), ++_nonceCounter);
        byte[] cookie = _cookies[_nextCookie];
        _nextCookie = _nextCookie + 1 == _cookies.Length ? 0 : _nextCookie + 1;
        return NtsClientPacket.Write(destination, new NtpTimestamp(transmit), _uid, cookie, Placeholders, _c2s, _nonce);
    }

    /// <summary>
    /// Checks a reply as <see cref="NtpProbe.Verify"/> does, then as NTS: an NTS NAK is invalid (not a
    /// kiss-o'-death), and a valid reply must echo the unique identifier of the request its origin names and
    /// carry an authenticator, last, that opens with S2C over everything before it. Allocates nothing.
    /// </summary>
    public ReplyVerdict Verify(ReadOnlySpan<byte> reply, long nowUnixNanoseconds, long maxSkewNanoseconds, out ulong origin)
    {
        ReplyVerdict verdict = NtpProbe.Verify(reply, nowUnixNanoseconds, maxSkewNanoseconds, out origin);
        if (verdict == ReplyVerdict.KissOfDeath && BinaryPrimitives.ReadUInt32BigEndian(reply[12..]) == ReferenceId.NtsNak.Value)
            return ReplyVerdict.NtsNak;
        if (verdict != ReplyVerdict.Valid) return verdict;
        return VerifyAuthentication(reply, origin);
    }

    /// <summary>The NTS part of <see cref="Verify"/>, for a reply whose header already passed.</summary>
    public ReplyVerdict VerifyAuthentication(ReadOnlySpan<byte> reply, ulong origin)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_expectedUid.AsSpan(UidPrefixLength), origin);
        return NtsClientPacket.CheckFields(reply, _expectedUid, _s2c, _plaintext, out _) switch
        {
            NtsReplyCheck.Authentic => ReplyVerdict.Valid,
            NtsReplyCheck.NoUniqueIdentifier => ReplyVerdict.NtsNoUniqueId,
            NtsReplyCheck.WrongUniqueIdentifier => ReplyVerdict.NtsWrongUniqueId,
            NtsReplyCheck.NoAuthenticator => ReplyVerdict.NtsNoAuthenticator,
            NtsReplyCheck.AuthenticationFailed => ReplyVerdict.NtsAuthenticationFailed,
            _ => ReplyVerdict.NtsMalformed,
        };
    }

    public void Dispose()
    {
        _c2s.Dispose();
        _s2c.Dispose();
    }
}
