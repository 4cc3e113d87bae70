namespace FastNtp.Interop.Xsk;

/// <summary>How an AF_XDP socket reaches the frames: the kernel copies them, or the driver DMAs into the UMEM.</summary>
public enum XskBindMode
{
    /// <summary>Zero-copy where the driver offers it, copy elsewhere.</summary>
    Auto,
    Copy,
    /// <summary>Binding fails where the driver cannot.</summary>
    ZeroCopy,
}
