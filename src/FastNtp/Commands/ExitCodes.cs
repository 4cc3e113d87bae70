using FastNtp.Server.Nts;

namespace FastNtp.Commands;

/// <summary>Exit codes scripts can rely on: one per kind of failure, the same in every command (README lists them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A wrong option or configuration value, or a port that cannot be bound.</summary>
    public const int ConfigurationError = 2;
    /// <summary>No reply: nothing within the timeout, or the server cannot be reached at all (refused, no route).</summary>
    public const int Timeout = 3;
    /// <summary>The server sent a kiss-o'-death (DENY, RSTR, RATE, NTSN ...).</summary>
    public const int KissOfDeath = 4;
    /// <summary>A reply came but is not usable: unsynchronized, bogus timestamps, not a server reply, a failed TLS handshake.</summary>
    public const int InvalidReply = 5;

    /// <summary>A failed key exchange: an unreachable server is "no reply", as for NTP and `status`; the rest are bad replies.</summary>
    public static int For(NtsKeFailure failure) => failure is NtsKeFailure.Timeout or NtsKeFailure.Network ? Timeout : InvalidReply;
}
