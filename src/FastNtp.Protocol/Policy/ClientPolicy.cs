namespace FastNtp.Protocol.Policy;

/// <summary>
/// Decides, before the responder runs, whether a request is answered, kissed or dropped: the access list
/// first, then the NTS requirement, then the client's token bucket. One instance per worker (its table is
/// single-writer; each client address is steered to one worker, so the limits are exact). Pure and
/// allocation-free per request; never throws on any input.
/// </summary>
public sealed class ClientPolicy
{
    /// <summary><c>KodShare</c> 1.0 in the fixed-point units of the per-client kiss cycle.</summary>
    public const uint KodShareOne = 1 << 16;

    private readonly AccessList _access;
    private readonly ClientTable? _table;
    private readonly bool _limitRate;
    private readonly bool _checkAccess;
    private readonly bool _requireNts;
    private readonly bool _refuseWithKiss;
    private readonly uint _kodShare;

    /// <param name="options">Validated options (<see cref="ClientPolicyOptions.Validate"/>).</param>
    /// <param name="access">The parsed <c>Access:Allow</c>/<c>Access:Deny</c> lists.</param>
    /// <param name="seed">The rate-limit table's secret hash seed: random in production, fixed in tests.</param>
    public ClientPolicy(ClientPolicyOptions options, AccessList access, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(access);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));

        _access = access;
        _checkAccess = !access.IsEmpty;
        _requireNts = options.RequireNts;
        _refuseWithKiss = options.DenyAction == DenyAction.Kod;
        _kodShare = KodShareUnits(options.KodShare);
        KissPoll = PollExponent(options.Interval);
        _limitRate = options.RateLimitEnabled;
        if (options.RateLimitEnabled || options.Interleaved)
        {
            _table = new ClientTable(
                options.Entries, options.Interval.Ticks * 100, options.Burst, options.Ipv6Prefix, seed, options.Interleaved);
        }
    }

    /// <summary>The client table, or null when neither the rate limit nor interleaved mode is on.</summary>
    public ClientTable? Table => _table;

    /// <summary>The poll exponent a kiss asks for at least: the rate limit's interval, rounded up to a power of two.</summary>
    public sbyte KissPoll { get; }

    /// <param name="client">The request's source address.</param>
    /// <param name="nts">The request carries an NTS cookie (the responder authenticates it later).</param>
    /// <param name="now">Monotonic nanoseconds, read once per batch.</param>
    public PolicyDecision Decide(in ClientAddress client, bool nts, long now) => Decide(client, nts, now, out _);

    /// <summary>As <see cref="Decide(in ClientAddress, bool, long)"/>; <paramref name="tableIndex"/> is the client's table entry, -1 without a table.</summary>
    public PolicyDecision Decide(in ClientAddress client, bool nts, long now, out int tableIndex)
    {
        PolicyDecision refusal = PolicyDecision.Allow;
        if (_checkAccess && !_access.IsAllowed(client)) refusal = Refuse(PolicyDecision.DeniedKiss, nts);
        else if (_requireNts && !nts) refusal = Refuse(PolicyDecision.NtsRequiredKiss, nts);

        if (_table is null)
        {
            tableIndex = -1;
            return refusal;
        }

        ref ClientEntry entry = ref _table.Take(client, nts, now, out bool withinLimit, out tableIndex);
        // A table kept only for interleaved mode limits nobody.
        withinLimit |= !_limitRate;
        PolicyDecision decision;
        if (refusal != PolicyDecision.Allow)
        {
            // Kisses to refused clients spend tokens like answers do, so a flood with a forged source is not
            // reflected one for one.
            decision = refusal.IsKiss() && !withinLimit ? refusal + 1 : refusal;
        }
        else if (withinLimit)
        {
            return PolicyDecision.Allow;
        }
        else
        {
            // An unauthenticated RATE means nothing to an NTS client: over the limit, NTS requests are dropped.
            decision = !nts && NextKiss(ref entry) ? PolicyDecision.RateLimitedKiss : PolicyDecision.RateLimitedDrop;
        }

        if (decision.IsKiss()) entry.KodSent++;
        else entry.Dropped++;
        return decision;
    }

    /// <summary>Writes the kiss a decision calls for (see <see cref="KissOfDeath"/>); 0 when none fits.</summary>
    public int WriteKiss(PolicyDecision decision, ReadOnlySpan<byte> request, Span<byte> response) =>
        decision.IsKiss() ? KissOfDeath.Write(request, decision.KissCode(), KissPoll, response) : 0;

    /// <summary>The kiss form of a refusal, or its drop form (the next value) when no kiss is wanted or possible.</summary>
    private PolicyDecision Refuse(PolicyDecision kiss, bool nts) => _refuseWithKiss && !nts ? kiss : kiss + 1;

    /// <summary>
    /// Steps the client's kiss phase by the share (modulo one) and kisses when the phase wraps: of n requests
    /// over the limit, 1 + ⌊(n − 1) · share⌋ are kissed, the first at once (so a client learns quickly) and the
    /// rest evenly spaced, with no randomness to seed.
    /// </summary>
    private bool NextKiss(ref ClientEntry entry)
    {
        uint phase = entry.KissPhase;
        bool kiss = phase < _kodShare;
        phase += _kodShare;
        entry.KissPhase = phase >= KodShareOne ? phase - KodShareOne : phase;
        return kiss;
    }

    /// <summary><c>KodShare</c> in units of <see cref="KodShareOne"/>, as the kiss cycle steps (the XDP program's too).</summary>
    public static uint KodShareUnits(double share) =>
        // Any share above zero earns at least one unit, so a tiny share still kisses now and then.
        share <= 0 ? 0 : Math.Max(1u, (uint)Math.Round(share * KodShareOne));

    /// <summary>The poll exponent a kiss asks for at least, for a rate limit's interval (the XDP program's too).</summary>
    public static sbyte PollExponent(TimeSpan interval)
    {
        double seconds = interval.TotalSeconds;
        sbyte exponent = 0;
        while (exponent < 17 && Math.Pow(2, exponent) < seconds) exponent++;
        return exponent;
    }
}
