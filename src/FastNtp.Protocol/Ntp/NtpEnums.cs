namespace FastNtp.Protocol.Ntp;

public enum LeapIndicator : byte
{
    NoWarning = 0,
    InsertSecond = 1,
    DeleteSecond = 2,
    /// <summary>Alarm: the clock is not synchronized.</summary>
    Unsynchronized = 3,
}

public enum NtpMode : byte
{
    Reserved = 0,
    SymmetricActive = 1,
    SymmetricPassive = 2,
    Client = 3,
    Server = 4,
    Broadcast = 5,
    Control = 6,
    Private = 7,
}
