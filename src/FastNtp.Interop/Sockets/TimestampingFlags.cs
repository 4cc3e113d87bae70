namespace FastNtp.Interop.Sockets;

/// <summary>
/// SO_TIMESTAMPING's SOF_TIMESTAMPING_* flags (linux/net_tstamp.h): which stamps the kernel takes (generation),
/// which it reports (reporting) and how it delivers transmit stamps on the error queue (options).
/// </summary>
[Flags]
public enum TimestampingFlags
{
    None = 0,
    /// <summary>Take a software stamp when a datagram is handed to the device.</summary>
    TxSoftware = 1 << 1,
    /// <summary>Take a software stamp when a datagram enters the stack.</summary>
    RxSoftware = 1 << 3,
    /// <summary>Report software stamps (ts[0] of SCM_TIMESTAMPING).</summary>
    Software = 1 << 4,
    /// <summary>Tag each transmit stamp with a per-socket counter (ee_data), one per datagram sent.</summary>
    OptId = 1 << 7,
    /// <summary>Queue transmit stamps without a copy of the datagram.</summary>
    OptTimestampOnly = 1 << 11,
}
