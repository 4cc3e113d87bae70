using FastNtp.Protocol.Ntp;

namespace FastNtp.Protocol;

/// <summary>
/// The clock seam. Implementations are structs passed as generic arguments, so the hot path calls them
/// without interface dispatch and tests substitute a fake.
/// </summary>
public interface IClock
{
    NtpTimestamp Now();
}
