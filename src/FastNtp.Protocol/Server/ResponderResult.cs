namespace FastNtp.Protocol.Server;

/// <summary>Why a request got no answer; the I/O layer counts each reason.</summary>
public enum DropReason : byte
{
    None = 0,
    TooShort,
    UnsupportedVersion,
    /// <summary>Mode 0 that is not an NTPv1 client request.</summary>
    ReservedMode,
    SymmetricMode,
    /// <summary>Mode 4 or 5: a reply or broadcast sent to us.</summary>
    ServerMode,
    /// <summary>Mode 6, ntpq's control queries.</summary>
    ControlMode,
    /// <summary>Mode 7, ntpdc's private queries (the monlist amplification vector).</summary>
    PrivateMode,
    MalformedExtensionFields,
    /// <summary>A legacy symmetric-key MAC: FastNtp holds no symmetric keys, so it cannot answer authentically.</summary>
    SymmetricKeyMac,
    /// <summary>An NTS request that is malformed or fails authentication.</summary>
    NtsInvalid,
    ResponseBufferTooSmall,
    /// <summary>A datagram larger than any request FastNtp accepts; the kernel truncated it.</summary>
    Oversize,
}

public static class DropReasons
{
    /// <summary>Number of <see cref="DropReason"/> values, for per-reason counter arrays.</summary>
    public const int Count = (int)DropReason.Oversize + 1;
}

/// <summary>The responder's decision: send <see cref="Length"/> bytes, or drop for <see cref="Reason"/>.</summary>
public readonly record struct ResponderResult(int Length, DropReason Reason)
{
    public bool ShouldRespond => Length > 0;

    public static ResponderResult Respond(int length) => new(length, DropReason.None);

    public static ResponderResult Drop(DropReason reason) => new(0, reason);
}
