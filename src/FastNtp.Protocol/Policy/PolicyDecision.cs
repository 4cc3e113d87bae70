using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol.Policy;

/// <summary>
/// What <see cref="ClientPolicy.Decide(in ClientAddress, bool, long)"/> says about one request, and why. Each refusal's drop form is the
/// value right after its kiss form.
/// </summary>
public enum PolicyDecision : byte
{
    /// <summary>Answer as usual.</summary>
    Allow = 0,
    /// <summary>Over the rate limit: answer with a RATE kiss.</summary>
    RateLimitedKiss,
    /// <summary>Over the rate limit: no answer (always so for NTS requests).</summary>
    RateLimitedDrop,
    /// <summary>Refused by the access list: answer with a DENY kiss.</summary>
    DeniedKiss,
    /// <summary>Refused by the access list: no answer.</summary>
    DeniedDrop,
    /// <summary>Unauthenticated while NTS is required: answer with a DENY kiss.</summary>
    NtsRequiredKiss,
    /// <summary>Unauthenticated while NTS is required: no answer.</summary>
    NtsRequiredDrop,
}

/// <summary>The counters the policy's outcomes are counted under (every one but <see cref="PolicyDecision.Allow"/>).</summary>
public enum PolicyCounter : byte
{
    RateLimitedKiss = 0,
    RateLimitedDrop,
    Denied,
    NtsRequired,
}

public static class PolicyDecisions
{
    /// <summary>Number of <see cref="PolicyCounter"/> values, for per-counter arrays.</summary>
    public const int CounterCount = (int)PolicyCounter.NtsRequired + 1;

    public static bool IsKiss(this PolicyDecision decision) =>
        decision is PolicyDecision.RateLimitedKiss or PolicyDecision.DeniedKiss or PolicyDecision.NtsRequiredKiss;

    /// <summary>RATE for the rate limit, DENY for the access list and the NTS requirement.</summary>
    public static ReferenceId KissCode(this PolicyDecision decision) =>
        decision == PolicyDecision.RateLimitedKiss ? ReferenceId.Rate : ReferenceId.Deny;

    /// <summary>The counter a refusal is counted under; <see cref="PolicyDecision.Allow"/> has none.</summary>
    public static PolicyCounter Counter(this PolicyDecision decision) => decision switch
    {
        PolicyDecision.RateLimitedKiss => PolicyCounter.RateLimitedKiss,
        PolicyDecision.RateLimitedDrop => PolicyCounter.RateLimitedDrop,
        PolicyDecision.DeniedKiss or PolicyDecision.DeniedDrop => PolicyCounter.Denied,
        PolicyDecision.NtsRequiredKiss or PolicyDecision.NtsRequiredDrop => PolicyCounter.NtsRequired,
        _ => throw new ArgumentOutOfRangeException(nameof(decision), decision, "An allowed request is not a refusal."),
    };
}
