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
    public const int TargetCookies = NtsClientSession.MaxCookies;
    private static readonly TimeSpan KeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxKeBackoff = TimeSpan.FromHours(1);

    private Task<NtsKeResult>? _keyExchange;
    private NtsClientSession? _client;
    private DateTime _nextAttempt;
    private int _failures;

    public UpstreamSpec Spec { get; } = spec;
    public NtsKeResult? Session { get; private set; }
    /// <summary>The process's id for this source once the first NTS-KE told us where NTP lives; -1 before.</summary>
    public int SourceId { get; set; } = -1;
    public int CookiesLeft => _client?.CookiesLeft ?? 0;
    /// <summary>Completed NTS-KE sessions: one at start, one more each time the cookies ran out or a NAK came.</summary>
    public int KeyExchanges { get; private set; }
    /// <summary>Replies that passed NTS authentication.</summary>
    public int Authenticated { get; private set; }
    public bool CanPoll => _client is { CanSend: true };

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
        _client?.Dispose();
        _client = new NtsClientSession(session.Agreement);
        Session = session;
        _failures = 0;
        KeyExchanges++;
        return true;
    }

    /// <summary>Wraps the plain request the process wrote (its transmit timestamp is kept) into an NTS request.</summary>
    public int WriteRequest(ReadOnlySpan<byte> plainRequest, Span<byte> destination)
    {
        if (!CanPoll) throw new InvalidOperationException("No NTS cookie in hand.");
        return _client!.WriteRequest(destination, NtpHeader.ReadTransmitTime(plainRequest));
    }

    /// <summary>Authenticates a reply and keeps the cookies it brings; a NAK drops the session's cookies.</summary>
    public NtsReplyStatus Verify(ReadOnlySpan<byte> reply)
    {
        if (_client is null) return NtsReplyStatus.NotOurs;
        NtsReplyStatus status = _client.Verify(reply);
        if (status == NtsReplyStatus.Ok) Authenticated++;
        return status;
    }

    public void Dispose() => _client?.Dispose();
}
