namespace FastNtp.Commands;

/// <summary>Exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A wrong option or configuration value, or a port that cannot be bound.</summary>
    public const int ConfigurationError = 2;
    /// <summary>No reply within the timeout.</summary>
    public const int Timeout = 3;
    /// <summary>The server sent a kiss-o'-death (DENY, RSTR, RATE, NTSN ...).</summary>
    public const int KissOfDeath = 4;
    /// <summary>A reply came but is not usable: unsynchronized, bogus timestamps, not a server reply.</summary>
    public const int InvalidReply = 5;
}
