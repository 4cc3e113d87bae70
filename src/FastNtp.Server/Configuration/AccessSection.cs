using FastNtp.Protocol.Policy;

namespace FastNtp.Server.Configuration;

public sealed class AccessOptions
{
    public List<string> Allow { get; set; } = [];
    public List<string> Deny { get; set; } = [];
    public string DenyAction { get; set; } = "drop";
    public bool RequireNts { get; set; }
}

/// <param name="Allow">The configured allow prefixes (CIDR text), for programs that build their own tables (XDP).</param>
/// <param name="Deny">The configured deny prefixes (CIDR text).</param>
/// <param name="List">Both lists parsed: the longest matching prefix decides.</param>
/// <param name="DenyAction">What refused clients (denied, or unauthenticated while NTS is required) get.</param>
/// <param name="RequireNts">Requests without an NTS cookie are refused.</param>
public sealed record AccessSettings(
    IReadOnlyList<string> Allow, IReadOnlyList<string> Deny, AccessList List, DenyAction DenyAction, bool RequireNts)
{
    internal static AccessSettings From(AccessOptions o, SettingsErrors errors)
    {
        if (!AccessList.TryCreate(o.Allow, o.Deny, out AccessList list, out IReadOnlyList<string> problems))
            errors.AddLines(problems);
        DenyAction action = errors.OneOf("Access:DenyAction", o.DenyAction, ("drop", DenyAction.Drop), ("kod", DenyAction.Kod));
        return new AccessSettings(o.Allow.ToArray(), o.Deny.ToArray(), list, action, o.RequireNts);
    }
}
