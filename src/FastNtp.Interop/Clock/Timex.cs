using System.Runtime.InteropServices;

namespace FastNtp.Interop.Clock;

/// <summary>
/// struct timex from linux/timex.h as the 64-bit kernel lays it out (208 bytes on x86-64 and arm64): every
/// field a long except modes, status, shift and tai, which are ints followed by padding, and eleven spare ints.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 208)]
internal struct Timex
{
    [FieldOffset(0)] public uint Modes;
    /// <summary>Remaining offset to slew: microseconds, or nanoseconds when STA_NANO is set.</summary>
    [FieldOffset(8)] public long Offset;
    /// <summary>Frequency correction in ppm scaled by 2^16.</summary>
    [FieldOffset(16)] public long Freq;
    /// <summary>Maximum error, microseconds.</summary>
    [FieldOffset(24)] public long MaxError;
    /// <summary>Estimated error, microseconds.</summary>
    [FieldOffset(32)] public long EstError;
    [FieldOffset(40)] public int Status;
    [FieldOffset(48)] public long Constant;
    [FieldOffset(56)] public long Precision;
    [FieldOffset(64)] public long Tolerance;
    /// <summary>struct timeval: seconds, then microseconds (nanoseconds with STA_NANO, or with ADJ_SETOFFSET|ADJ_NANO).</summary>
    [FieldOffset(72)] public long TimeSeconds;
    [FieldOffset(80)] public long TimeFraction;
    [FieldOffset(88)] public long Tick;
    [FieldOffset(96)] public long PpsFreq;
    [FieldOffset(104)] public long Jitter;
    [FieldOffset(112)] public int Shift;
    [FieldOffset(120)] public long Stabil;
    [FieldOffset(128)] public long JitCnt;
    [FieldOffset(136)] public long CalCnt;
    [FieldOffset(144)] public long ErrCnt;
    [FieldOffset(152)] public long StbCnt;
    [FieldOffset(160)] public int Tai;
}

/// <summary>Constants from linux/timex.h.</summary>
internal static class TimexConstants
{
    internal const int ClockRealtime = 0;

    internal const uint AdjFrequency = 0x0002;
    internal const uint AdjMaxError = 0x0004;
    internal const uint AdjEstError = 0x0008;
    internal const uint AdjStatus = 0x0010;
    internal const uint AdjTai = 0x0080;
    internal const uint AdjSetOffset = 0x0100;
    internal const uint AdjNano = 0x2000;

    internal const int StaPll = 0x0001;
    internal const int StaIns = 0x0010;
    internal const int StaDel = 0x0020;
    internal const int StaUnsync = 0x0040;
    internal const int StaNano = 0x2000;

    /// <summary>adjtimex's return value inside an inserted leap second.</summary>
    internal const int TimeOop = 3;

    /// <summary>adjtimex's return value after a leap second, until STA_INS or STA_DEL is cleared.</summary>
    internal const int TimeWait = 4;

    /// <summary>adjtimex's return value when the clock is not synchronized.</summary>
    internal const int TimeError = 5;
}
