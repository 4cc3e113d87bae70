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

/// <summary>What the NTS half did with a request, for the I/O layer's counters; rejections are <see cref="DropReason.NtsInvalid"/>.</summary>
[Flags]
public enum NtsOutcome : byte
{
    None = 0,
    /// <summary>An authenticated reply with fresh cookies.</summary>
    Authenticated = 1,
    /// <summary>An NTS NAK for a cookie that could not be opened.</summary>
    Nak = 2,
    /// <summary>The session's keys were not in the worker's cache (a new or evicted session) and were loaded.</summary>
    SessionKeysLoaded = 4,
}

/// <summary>The responder's decision: send <see cref="Length"/> bytes, or drop for <see cref="Reason"/>; <see cref="Nts"/> for NTS requests.</summary>
public readonly record struct ResponderResult(int Length, DropReason Reason, NtsOutcome Nts)
{
    public bool ShouldRespond => Length > 0;

    /// <summary>The reply is interleaved: its transmit time is the previous reply's, and it must go out as written.</summary>
    public bool Interleaved { get; init; }

    public static ResponderResult Respond(int length, NtsOutcome nts = NtsOutcome.None) => new(length, DropReason.None, nts);

    public static ResponderResult Drop(DropReason reason, NtsOutcome nts = NtsOutcome.None) => new(0, reason, nts);
}
