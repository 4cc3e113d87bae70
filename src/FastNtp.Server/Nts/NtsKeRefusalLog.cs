using System.Net;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Nts;

/// <summary>
/// Logs connections refused by the per-address limits as one line per interval at most (a flood is thousands a
/// second): how many since the last line, by reason, and the address refused last.
/// </summary>
internal sealed partial class NtsKeRefusalLog(ILogger logger, TimeProvider? time = null)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long[] _pending = new long[(int)NtsKeRefusal.TableFull + 1];
    private long _lastLine = long.MinValue;

    public void Refused(NtsKeRefusal reason, IPAddress address)
    {
        Interlocked.Increment(ref _pending[(int)reason]);
        long now = _time.GetTimestamp();
        long last = Interlocked.Read(ref _lastLine);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < Interval) return;
        if (Interlocked.CompareExchange(ref _lastLine, now, last) != last) return;
        long perAddress = Interlocked.Exchange(ref _pending[(int)NtsKeRefusal.ConnectionsPerAddress], 0);
        long rate = Interlocked.Exchange(ref _pending[(int)NtsKeRefusal.HandshakeRate], 0);
        long full = Interlocked.Exchange(ref _pending[(int)NtsKeRefusal.TableFull], 0);
        LogRefused(logger, perAddress + rate + full, perAddress, rate, full, address);
    }

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning, Message = "NTS-KE refused {Count} connection(s) before the handshake since the last such line: " +
        "{PerAddress} over NtsKe:MaxConnectionsPerAddress, {Rate} over NtsKe:HandshakesPerAddress, {Full} with the address table full; last from {Address}")]
    private static partial void LogRefused(ILogger logger, long count, long perAddress, long rate, long full, IPAddress address);
}
