using System.Security.Cryptography;
using FastNtp.Crypto;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;

namespace FastNtp.Server.Sync;

/// <summary>
/// The NTS layer of one upstream (RFC 8915): NTS-KE in the background for keys and cookies, each request
/// wrapped with a fresh unique identifier, one cookie and placeholders that keep eight in hand, each reply
/// authenticated before the plain NTP checks see it, and NTS-KE again when the cookies run out or a NAK comes.
/// Used from the synchronizer thread only.
/// </summary>
internal sealed class NtsSource(UpstreamSpec spec, string? caFile) : IDisposable
{
    public const int TargetCookies = 8;
    private static readonly TimeSpan KeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxKeBackoff = TimeSpan.FromHours(1);

    private readonly Queue<byte[]> _cookies = new();
    private readonly byte[] _uid = new byte[NtsClientPacket.UniqueIdentifierLength];
    private readonly List<byte[]> _fresh = [];
    private Task<NtsKeResult>? _keyExchange;
    private Aead? _c2s;
    private Aead? _s2c;
    private NtpTimestamp _pendingTransmit;
    private DateTime _nextAttempt;
    private int _failures;

    public UpstreamSpec Spec { get; } = spec;
    public NtsKeResult? Session { get; private set; }
    /// <summary>The process's id for this source once the first NTS-KE told us where NTP lives; -1 before.</summary>
    public int SourceId { get; set; } = -1;
    public int CookiesLeft => _cookies.Count;
    /// <summary>Completed NTS-KE sessions: one at start, one more each time the cookies ran out or a NAK came.</summary>
    public int KeyExchanges { get; private set; }
    /// <summary>Replies that passed NTS authentication.</summary>
    public int Authenticated { get; private set; }
    public bool CanPoll => _c2s is not null && _cookies.Count > 0;

    /// <summary>Starts NTS-KE when there are no cookies, none is running, and the backoff has passed.</summary>
    public void StartKeyExchangeIfNeeded(DateTime utcNow)
    {
        if (CanPoll || _keyExchange is not null || utcNow < _nextAttempt) return;
        _keyExchange = NtsKeClient.ExchangeAsync(Spec.Host, Spec.Port, caFile, KeTimeout);
    }

    /// <summary>Collects a finished NTS-KE: true when a new session is in place; <paramref name="error"/> on failure.</summary>
    public bool TryCompleteKeyExchange(DateTime utcNow, out string? error)
    {
        error = null;
        if (_keyExchange is not { IsCompleted: true } task) return false;
        _keyExchange = null;
        if (!task.IsCompletedSuccessfully)
        {
            _failures++;
            // Exponential backoff from 10 s so an unreachable NTS-KE server is not hammered.
            double seconds = Math.Min(MaxKeBackoff.TotalSeconds, 10 * Math.Pow(2, Math.Min(_failures - 1, 12)));
            _nextAttempt = utcNow + TimeSpan.FromSeconds(seconds);
            error = task.Exception?.GetBaseException().Message ?? "cancelled";
            return false;
        }

        NtsKeResult session = task.Result;
        _c2s?.Dispose();
        _s2c?.Dispose();
        _c2s = Aead.Create(session.Algorithm, session.C2SKey);
        _s2c = Aead.Create(session.Algorithm, session.S2CKey);
        _cookies.Clear();
        foreach (byte[] cookie in session.Cookies) _cookies.Enqueue(cookie);
        Session = session;
        _failures = 0;
        KeyExchanges++;
        return true;
    }

    /// <summary>Wraps the plain request the process wrote (its transmit timestamp is kept) into an NTS request.</summary>
    public int WriteRequest(ReadOnlySpan<byte> plainRequest, Span<byte> destination)
    {
        if (!CanPoll) throw new InvalidOperationException("No NTS cookie in hand.");
        _pendingTransmit = NtpHeader.ReadTransmitTime(plainRequest);
        byte[] cookie = _cookies.Dequeue();
        RandomNumberGenerator.Fill(_uid);
        Span<byte> nonce = stackalloc byte[_c2s!.NonceLength];
        RandomNumberGenerator.Fill(nonce);
        int placeholders = NtsClientPacket.PlaceholdersThatFit(
            destination.Length, cookie.Length, nonce.Length, Math.Clamp(TargetCookies - _cookies.Count - 1, 0, 7));
        return NtsClientPacket.Write(destination, _pendingTransmit, _uid, cookie, placeholders, _c2s, nonce);
    }

    /// <summary>Authenticates a reply and keeps the cookies it brings; a NAK drops the session's cookies.</summary>
    public NtsReplyStatus Verify(ReadOnlySpan<byte> reply)
    {
        if (_s2c is null) return NtsReplyStatus.NotOurs;
        _fresh.Clear();
        NtsReplyStatus status = NtsClientPacket.Verify(reply, _pendingTransmit, _uid, _s2c, _fresh);
        if (status == NtsReplyStatus.Ok)
        {
            Authenticated++;
            foreach (byte[] cookie in _fresh)
            {
                // The same bound as for NTS-KE cookies: anything longer could not be sent back in a request.
                if (_cookies.Count < TargetCookies && cookie.Length is > 0 and <= NtsKeResponse.MaxCookieLength) _cookies.Enqueue(cookie);
            }
        }
        else if (status == NtsReplyStatus.Nak)
        {
            _cookies.Clear();
        }

        return status;
    }

    public void Dispose()
    {
        _c2s?.Dispose();
        _s2c?.Dispose();
    }
}
