namespace FastNtp.Interop.Bpf;

/// <summary>How an XDP program hooks into a driver (XDP_FLAGS_* of linux/if_link.h).</summary>
public enum XdpAttachMode : uint
{
    /// <summary>Native when the driver supports it, generic otherwise: the kernel chooses.</summary>
    Auto = 0,
    /// <summary>Generic (skb) mode: any driver, after the socket buffer is built, so far slower.</summary>
    Generic = 1 << 1,
    /// <summary>Native (driver) mode: before any allocation; fails on a driver without XDP support.</summary>
    Native = 1 << 2,
}
