namespace FastNtp.Interop.Timestamping;

/// <summary>SOF_TIMESTAMPING_* (linux/net_tstamp.h): what a socket asks for, or what an interface can stamp.</summary>
[Flags]
public enum TimestampingFlags : uint
{
    None = 0,
    TxHardware = 1 << 0,
    TxSoftware = 1 << 1,
    RxHardware = 1 << 2,
    RxSoftware = 1 << 3,
    Software = 1 << 4,
    RawHardware = 1 << 6,
    /// <summary>Tag each transmit stamp with a per-socket counter (ee_data), one per datagram sent.</summary>
    OptId = 1 << 7,
    /// <summary>Queue transmit stamps without a copy of the datagram.</summary>
    OptTimestampOnly = 1 << 11,
    /// <summary>With a received hardware stamp, the index of the interface that took it (SCM_TIMESTAMPING_PKTINFO).</summary>
    OptPacketInfo = 1 << 13,

    /// <summary>What a socket needs for hardware receive and transmit stamps in the PHC's time (the triple's ts[2]).</summary>
    Hardware = TxHardware | RxHardware | RawHardware,
}
