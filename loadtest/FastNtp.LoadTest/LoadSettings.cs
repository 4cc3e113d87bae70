using System.Net;
using System.Net.Sockets;

namespace FastNtp.LoadTest;

/// <summary>Everything one run needs, already validated.</summary>
internal sealed record LoadSettings(
    IPEndPoint Target,
    int Clients,
    int Threads,
    IReadOnlyList<LoadStep> Steps,
    TimeSpan Drain,
    int Batch,
    int SocketBufferBytes,
    TimeSpan MaxSkew,
    string Label,
    TimeSpan Warmup,
    TimeSpan? Burst = null,
    IReadOnlyList<FastNtp.Server.Nts.NtsKeResult>? NtsSessions = null,
    int NtsPlaceholders = 0,
    int? ServerPid = null,
    RawFrameOptions? Raw = null,
    int? ServerCpu = null,
    int SourceAddresses = 0)
{
    /// <summary>127.1.0.1 onward: a /16 of the loopback network, far from 127.0.0.1 where the scripts' other clients live.</summary>
    public const int MaxSourceAddresses = 65_534;

    /// <summary>The source address of client <paramref name="client"/> (0-based) with <see cref="SourceAddresses"/> set.</summary>
    public IPAddress SourceAddress(int client)
    {
        int offset = 1 + client % SourceAddresses;
        return new IPAddress([127, 1, (byte)(offset >> 8), (byte)offset]);
    }

    /// <summary>Requests due within this window leave in one sendmmsg (see <see cref="LoadWorker"/>).</summary>
    public static readonly TimeSpan DefaultBurst = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// What the load threads run: an unreported warm-up at the first step's rate (sockets, caches and the
    /// server's own start-up settle there), then the measured steps.
    /// </summary>
    public IReadOnlyList<LoadStep> Timeline => Warmup > TimeSpan.Zero
        ? [new LoadStep(-1, Steps[0].Rate, Warmup), .. Steps]
        : Steps;

    /// <summary>A run never exceeds this much wall time, whatever the schedule says.</summary>
    public static readonly TimeSpan DefaultMaxTotal = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The generator floods its target, so it only aims at this host's loopback unless told otherwise
    /// (for a server inside a network namespace the caller created).
    /// </summary>
    public static bool IsLoopback(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => address.GetAddressBytes()[0] == 127,
            AddressFamily.InterNetworkV6 => address.Equals(IPAddress.IPv6Loopback),
            _ => false,
        };
    }

    /// <summary>One line naming what is wrong, or null when the settings can run.</summary>
    public static string? Validate(IPEndPoint target, bool allowNonLoopback, int clients, int threads,
        IReadOnlyList<LoadStep> steps, TimeSpan drain, TimeSpan warmup, TimeSpan maxTotal, int batch)
    {
        if (!allowNonLoopback && !IsLoopback(target.Address))
            return $"--target {target}: only loopback targets (127.0.0.0/8, ::1) are allowed without --allow-non-loopback.";
        if (target.Port == 0) return "--target: the port must not be 0.";
        if (threads < 1) return "--threads must be at least 1.";
        if (clients < threads) return "--clients must be at least --threads (every thread owns at least one client socket).";
        if (batch is < 1 or > 1024) return "--batch must be between 1 and 1024.";
        if (drain < TimeSpan.Zero) return "--drain must not be negative.";
        if (warmup < TimeSpan.Zero) return "--warmup must not be negative.";
        TimeSpan total = RateSchedule.TotalTime(steps, drain) + warmup + drain;
        if (total > maxTotal) return $"The schedule takes {total.TotalSeconds:0.#} s, more than --max-total {maxTotal.TotalSeconds:0.#} s.";
        return null;
    }
}
