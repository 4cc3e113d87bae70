using FastNtp.Protocol.Nts;

namespace FastNtp.Server.Nts;

/// <summary>NTS-KE server figures at one moment, for /metrics and /status.</summary>
/// <param name="ActiveConnections">Connections being served now.</param>
/// <param name="RefusedBusy">Connections Kestrel closed at once because <see cref="Configuration.NtsKeSettings.MaxConnections"/> were open.</param>
/// <param name="Refused">Connections the admission hook refused before the handshake.</param>
/// <param name="OverLimit">Connections closed before the handshake by a per-address limit, by <see cref="NtsKeRefusal"/> name (every reason, from 0).</param>
/// <param name="HandshakesFailed">Failed handshakes by reason (<see cref="NtsKeHandshakeResult"/> names, and TimedOut; every reason, from 0).</param>
/// <param name="Exchanges">Finished exchanges by outcome (<see cref="NtsKeServerOutcome"/> names, every outcome, from 0); all but KeysIssued are rejected requests.</param>
/// <param name="ConnectionErrors">Connections lost to a transport or TLS error after the handshake, before the request was complete.</param>
/// <param name="Faults">Connections ended by an unexpected exception (a bug); the server carries on.</param>
public sealed record NtsKeCounters(
    long ActiveConnections,
    long RefusedBusy,
    long Refused,
    IReadOnlyDictionary<string, long> OverLimit,
    long HandshakesOk,
    IReadOnlyDictionary<string, long> HandshakesFailed,
    IReadOnlyDictionary<string, long> Exchanges,
    long CookiesIssued,
    long ConnectionErrors,
    long Faults,
    long CertificateReloads)
{
    /// <summary>When the certificate in use expires (UTC); null when unknown.</summary>
    public DateTime? CertificateNotAfter { get; init; }

    public long HandshakesFailedTotal => HandshakesFailed.Values.Sum();

    public long OverLimitTotal => OverLimit.Values.Sum();

    public long ExchangeCount(NtsKeServerOutcome outcome) => Exchanges.GetValueOrDefault(outcome.ToString());
}

/// <summary>The NTS-KE server's live counters; connections update them concurrently (interlocked), readers take a <see cref="Snapshot"/>.</summary>
internal sealed class NtsKeServerCounters
{
    /// <summary>Handshake failures: the <see cref="NtsKeHandshakeResult"/> failures, then a timeout.</summary>
    private const int TimedOutSlot = (int)NtsKeHandshakeResult.Closed + 1;

    private readonly long[] _handshakeFailures = new long[TimedOutSlot + 1];
    private readonly long[] _exchanges = new long[NtsKeServerOutcomes.Count];
    private readonly long[] _overLimit = new long[(int)NtsKeRefusal.TableFull + 1];
    private long _active, _refusedBusy, _refused, _handshakesOk, _cookies, _connectionErrors, _faults, _reloads;

    public void ConnectionOpened() => Interlocked.Increment(ref _active);

    public void ConnectionClosed() => Interlocked.Decrement(ref _active);

    public void RefusedBusy() => Interlocked.Increment(ref _refusedBusy);

    public void Refused() => Interlocked.Increment(ref _refused);

    public void OverLimit(NtsKeRefusal reason) => Interlocked.Increment(ref _overLimit[(int)reason]);

    public void Handshake(NtsKeHandshakeResult result)
    {
        if (result == NtsKeHandshakeResult.Ok) Interlocked.Increment(ref _handshakesOk);
        else Interlocked.Increment(ref _handshakeFailures[(int)result]);
    }

    public void HandshakeTimedOut() => Interlocked.Increment(ref _handshakeFailures[TimedOutSlot]);

    public void Exchange(in NtsKeServerStep step)
    {
        Interlocked.Increment(ref _exchanges[(int)step.Outcome]);
        if (step.CookiesIssued > 0) Interlocked.Add(ref _cookies, step.CookiesIssued);
    }

    public void ConnectionError() => Interlocked.Increment(ref _connectionErrors);

    public void Fault() => Interlocked.Increment(ref _faults);

    public void CertificateReloaded() => Interlocked.Increment(ref _reloads);

    public NtsKeCounters Snapshot()
    {
        var handshakes = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 1; i < _handshakeFailures.Length; i++)
        {
            long n = Interlocked.Read(ref _handshakeFailures[i]);
            handshakes[i == TimedOutSlot ? "TimedOut" : ((NtsKeHandshakeResult)i).ToString()] = n;
        }

        var exchanges = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 1; i < _exchanges.Length; i++)
        {
            long n = Interlocked.Read(ref _exchanges[i]);
            exchanges[((NtsKeServerOutcome)i).ToString()] = n;
        }

        var overLimit = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 1; i < _overLimit.Length; i++) overLimit[((NtsKeRefusal)i).ToString()] = Interlocked.Read(ref _overLimit[i]);

        return new NtsKeCounters(
            Interlocked.Read(ref _active), Interlocked.Read(ref _refusedBusy), Interlocked.Read(ref _refused), overLimit, Interlocked.Read(ref _handshakesOk),
            handshakes, exchanges, Interlocked.Read(ref _cookies), Interlocked.Read(ref _connectionErrors), Interlocked.Read(ref _faults),
            Interlocked.Read(ref _reloads));
    }
}
