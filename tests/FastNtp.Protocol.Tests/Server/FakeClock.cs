namespace FastNtp.Protocol.Tests.Server;

/// <summary>
/// A clock that counts its reads, returns a distinct time for each, and can photograph a buffer at the
/// moment it is read, so a test can tell what had been written before the transmit time was taken.
/// </summary>
internal struct FakeClock : IClock
{
    private readonly NtpTimestamp _start;
    private readonly byte[]? _watched;

    public FakeClock(NtpTimestamp start, byte[]? watched = null)
    {
        _start = start;
        _watched = watched;
        Calls = 0;
        WatchedAtFirstRead = null;
    }

    public int Calls { get; private set; }

    public byte[]? WatchedAtFirstRead { get; private set; }

    /// <summary>The value the n-th read (from 1) returns: a millisecond apart each.</summary>
    public readonly NtpTimestamp ValueOfRead(int n) => _start + NtpDuration.FromNanoseconds(n * 1_000_000L);

    public NtpTimestamp Now()
    {
        Calls++;
        if (Calls == 1 && _watched is not null) WatchedAtFirstRead = (byte[])_watched.Clone();
        return ValueOfRead(Calls);
    }
}
