using System.Security.Cryptography;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// One NTS client association with an NTP server after NTS-KE (RFC 8915 section 5): the cookie stash (at most
/// <see cref="MaxCookies"/> cookies of at most <see cref="NtsCookieCodec.MaxCookieLength"/> octets, whatever a
/// server sends), the C2S/S2C keys, the request writer and the reply verifier. Each request carries a fresh
/// unique identifier and nonce, one cookie, and placeholders that refill the stash. Hostile replies never throw.
/// Not thread-safe: one exchange at a time.
/// </summary>
public sealed class NtsClientSession : IDisposable
{
    /// <summary>Cookies kept in hand (RFC 8915 section 5.7 suggests eight).</summary>
    public const int MaxCookies = 8;

    private readonly Queue<byte[]> _cookies = new(MaxCookies);
    private readonly Aead _c2s;
    private readonly Aead _s2c;
    private readonly byte[] _uid = new byte[NtsClientPacket.UniqueIdentifierLength];
    private readonly List<byte[]> _fresh = new(MaxCookies);
    private NtpTimestamp _pendingTransmit;
    private bool _pending;

    public NtsClientSession(NtsKeAgreement agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        Algorithm = agreement.Algorithm;
        _c2s = Aead.Create(agreement.Algorithm, agreement.C2SKey);
        _s2c = Aead.Create(agreement.Algorithm, agreement.S2CKey);
        foreach (byte[] cookie in agreement.Cookies) Keep(cookie);
    }

    public AeadAlgorithm Algorithm { get; }

    public int CookiesLeft => _cookies.Count;

    public bool CanSend => _cookies.Count > 0;

    /// <summary>
    /// Writes an NTS request with <paramref name="transmitTime"/> (the client's T1) into <paramref name="destination"/>,
    /// spending one cookie and asking for as many new ones as refill the stash and fit; returns its length.
    /// </summary>
    /// <exception cref="InvalidOperationException">No cookie is left (check <see cref="CanSend"/>).</exception>
    public int WriteRequest(Span<byte> destination, NtpTimestamp transmitTime)
    {
        if (!_cookies.TryDequeue(out byte[]? cookie)) throw new InvalidOperationException("No NTS cookie left; run NTS-KE again.");
        RandomNumberGenerator.Fill(_uid);
        Span<byte> nonce = stackalloc byte[_c2s.NonceLength];
        RandomNumberGenerator.Fill(nonce);
        int wanted = Math.Clamp(MaxCookies - _cookies.Count - 1, 0, MaxCookies - 1);
        int placeholders = NtsClientPacket.PlaceholdersThatFit(destination.Length, cookie.Length, nonce.Length, wanted);
        int length = NtsClientPacket.Write(destination, transmitTime, _uid, cookie, placeholders, _c2s, nonce);
        _pendingTransmit = transmitTime;
        _pending = true;
        return length;
    }

    /// <summary>
    /// Checks a reply against the last request: <see cref="NtsReplyStatus.Ok"/> keeps the cookies it brings (within
    /// the limits), <see cref="NtsReplyStatus.Nak"/> drops every cookie (the server no longer accepts them).
    /// </summary>
    public NtsReplyStatus Verify(ReadOnlySpan<byte> reply)
    {
        if (!_pending) return NtsReplyStatus.NotOurs;
        _fresh.Clear();
        NtsReplyStatus status = NtsClientPacket.Verify(reply, _pendingTransmit, _uid, _s2c, _fresh);
        if (status == NtsReplyStatus.Ok)
        {
            foreach (byte[] cookie in _fresh) Keep(cookie);
        }
        else if (status == NtsReplyStatus.Nak)
        {
            _cookies.Clear();
        }

        // One answer per request: a second copy of it is not ours any more.
        if (status is NtsReplyStatus.Ok or NtsReplyStatus.Nak) _pending = false;
        _fresh.Clear();
        return status;
    }

    public void Dispose()
    {
        _c2s.Dispose();
        _s2c.Dispose();
        _cookies.Clear();
    }

    /// <summary>Anything longer than the limit could not be sent back in a request; more than the stash holds is not needed.</summary>
    private void Keep(byte[] cookie)
    {
        if (_cookies.Count < MaxCookies && cookie.Length is > 0 and <= NtsCookieCodec.MaxCookieLength) _cookies.Enqueue(cookie);
    }
}
