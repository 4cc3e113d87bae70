using FastNtp.Protocol.Policy;

namespace FastNtp.Server.Xdp;

/// <summary>
/// The client policy the XDP program enforces: the options and access lists the socket engine's
/// <see cref="ClientPolicy"/> is built from, so both paths decide alike.
/// </summary>
/// <param name="Options">Validated <c>RateLimit</c> and <c>Access</c> options.</param>
/// <param name="Allow"><c>Access:Allow</c> prefixes as configured (already checked by <see cref="AccessList.TryCreate"/>).</param>
/// <param name="Deny"><c>Access:Deny</c> prefixes as configured.</param>
/// <param name="Nts">The server answers NTS, so a request that carries a cookie is an NTS request (as the responder reads it).</param>
public sealed record XdpPolicy(ClientPolicyOptions Options, IReadOnlyList<string> Allow, IReadOnlyList<string> Deny, bool Nts);
