using System.Net.Sockets;
using System.Text;
using FastNtp.Interop.Sockets;
using static FastNtp.Interop.Interop.Libc;

namespace FastNtp.Interop.Timestamping;

/// <summary>Why an interface does, or does not, stamp NTP packets in hardware.</summary>
public enum NicTimestampingOutcome
{
    /// <summary>A probe's answer: the NIC can stamp in hardware (nothing changed yet).</summary>
    Capable,
    /// <summary>The NIC stamps every received packet (or every NTP packet) and every packet sent on request.</summary>
    Enabled,
    NoSuchInterface,
    /// <summary>ETHTOOL_GET_TS_INFO failed (errno says why).</summary>
    NoTimestampingInfo,
    /// <summary>The driver lacks raw hardware receive or transmit stamps, or cannot stamp every received packet (veth, lo, most virtual NICs).</summary>
    NoHardwareTimestamps,
    /// <summary>Hardware stamps without a PTP hardware clock to read them against the system clock.</summary>
    NoPhc,
    /// <summary>SIOCSHWTSTAMP needs CAP_NET_ADMIN, and the NIC was not already configured as needed.</summary>
    NotPermitted,
    /// <summary>The driver refused the configuration (errno says why) or applied one without hardware stamps.</summary>
    DriverRefused,
}

/// <summary>struct hwtstamp_config's two settings: HWTSTAMP_TX_* and HWTSTAMP_FILTER_*.</summary>
public readonly record struct HwTimestampConfig(int TxType, int RxFilter)
{
    /// <summary>Transmit stamps on, and a receive filter that stamps every NTP packet (ALL or NTP_ALL).</summary>
    public bool StampsNtp => TxType == HWTSTAMP_TX_ON && RxFilter is HWTSTAMP_FILTER_ALL or HWTSTAMP_FILTER_NTP_ALL;

    public override string ToString() => $"tx {(TxType == HWTSTAMP_TX_ON ? "on" : TxType == HWTSTAMP_TX_OFF ? "off" : TxType.ToString(System.Globalization.CultureInfo.InvariantCulture))}, rx filter {RxFilterName(RxFilter)}";

    private static string RxFilterName(int filter) => filter switch
    {
        HWTSTAMP_FILTER_NONE => "none",
        HWTSTAMP_FILTER_ALL => "all",
        HWTSTAMP_FILTER_NTP_ALL => "ntp-all",
        _ => filter.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>An interface's timestamping capabilities, from ETHTOOL_GET_TS_INFO (what `ethtool -T` prints).</summary>
/// <param name="PhcIndex">The /dev/ptpN of the NIC's clock, -1 without one.</param>
/// <param name="TxTypes">Bit n: HWTSTAMP_TX type n supported.</param>
/// <param name="RxFilters">Bit n: HWTSTAMP_FILTER n supported.</param>
public sealed record NicTimestampingInfo(int InterfaceIndex, TimestampingFlags Capabilities, int PhcIndex, uint TxTypes, uint RxFilters)
{
    public bool HasHardwareStamps => (Capabilities & TimestampingFlags.Hardware) == TimestampingFlags.Hardware;

    /// <summary>The narrowest filter that stamps every NTP packet: NTP_ALL where offered, else ALL; none when neither is.</summary>
    public int RxFilter =>
        (RxFilters & (1u << HWTSTAMP_FILTER_NTP_ALL)) != 0 ? HWTSTAMP_FILTER_NTP_ALL
        : (RxFilters & (1u << HWTSTAMP_FILTER_ALL)) != 0 ? HWTSTAMP_FILTER_ALL
        : HWTSTAMP_FILTER_NONE;

    public bool CanTransmitStamp => (TxTypes & (1u << HWTSTAMP_TX_ON)) != 0;
}

/// <summary>What <see cref="NicTimestamping"/> found and did on one interface.</summary>
/// <param name="Info">The capabilities, when the interface answered ETHTOOL_GET_TS_INFO.</param>
/// <param name="Previous">The NIC's configuration before (SIOCGHWTSTAMP), when the driver reports one.</param>
/// <param name="Applied">The configuration in force after, when enabled.</param>
public sealed record NicTimestampingResult(
    string Interface, NicTimestampingOutcome Outcome, Errno Errno, NicTimestampingInfo? Info, HwTimestampConfig? Previous, HwTimestampConfig? Applied)
{
    public bool IsEnabled => Outcome == NicTimestampingOutcome.Enabled;

    /// <summary>One line for the log: what is on, or why not, with the errno where one explains it.</summary>
    public string Describe() => Outcome switch
    {
        NicTimestampingOutcome.Capable => $"{Interface}: the NIC can stamp in hardware (PHC /dev/ptp{Info!.PhcIndex})",
        NicTimestampingOutcome.Enabled =>
            $"hardware timestamping on {Interface} (PHC /dev/ptp{Info!.PhcIndex}, {Applied}; was {(Previous is { } p ? p.ToString() : "unknown")})",
        NicTimestampingOutcome.NoSuchInterface => $"{Interface}: no such interface",
        NicTimestampingOutcome.NoTimestampingInfo => $"{Interface}: the driver reports no timestamping capabilities (ETHTOOL_GET_TS_INFO: {Errno})",
        NicTimestampingOutcome.NoHardwareTimestamps =>
            $"{Interface}: the NIC cannot stamp in hardware (capabilities {Info!.Capabilities}; needs RxHardware, TxHardware, RawHardware, tx on and rx filter all or ntp-all)",
        NicTimestampingOutcome.NoPhc => $"{Interface}: the NIC stamps in hardware but has no PTP hardware clock to read",
        NicTimestampingOutcome.NotPermitted => $"{Interface}: SIOCSHWTSTAMP needs CAP_NET_ADMIN (start as root) and the NIC is not already configured ({Previous})",
        _ => $"{Interface}: the driver refused hardware timestamping (SIOCSHWTSTAMP: {Errno}{(Applied is { } a ? $", applied {a}" : "")})",
    };
}

/// <summary>
/// Turns on a NIC's hardware timestamping, as chrony's hwtimestamp does: ETHTOOL_GET_TS_INFO for the capabilities
/// and the PHC, then SIOCSHWTSTAMP with transmit stamps on and a receive filter stamping every NTP packet. A NIC
/// already configured so (by ptp4l, chronyd or an earlier run) is left as it is. The previous configuration is
/// reported, not restored on exit: it belongs to the device, shared by every program stamping on it, and taking
/// stamps away at exit would break one that relies on them.
/// </summary>
public static unsafe class NicTimestamping
{
    /// <summary>The interface's capabilities, or why there are none; changes nothing.</summary>
    public static NicTimestampingResult Probe(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        using var socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        return Probe(socket.Handle, interfaceName);
    }

    /// <summary>Probes, then turns hardware stamping on where the NIC can; never throws for what the NIC or the permissions refuse.</summary>
    public static NicTimestampingResult Enable(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        using var socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
        NicTimestampingResult probe = Probe(socket.Handle, interfaceName);
        if (probe.Outcome != NicTimestampingOutcome.Capable) return probe;

        NicTimestampingInfo info = probe.Info!;
        HwTimestampConfig? previous = TryGetConfig(socket.Handle, interfaceName, out HwTimestampConfig current) ? current : null;
        if (previous is { StampsNtp: true }) return probe with { Outcome = NicTimestampingOutcome.Enabled, Previous = previous, Applied = previous };

        var config = new HwTstampConfig { TxType = HWTSTAMP_TX_ON, RxFilter = info.RxFilter };
        if (Request(socket.Handle, interfaceName, SIOCSHWTSTAMP, &config) != 0)
        {
            Errno errno = NativeSocketException.LastErrno();
            NicTimestampingOutcome outcome = errno == Errno.EPERM ? NicTimestampingOutcome.NotPermitted : NicTimestampingOutcome.DriverRefused;
            return probe with { Outcome = outcome, Errno = errno, Previous = previous, Applied = null };
        }

        // The driver writes back what it applied; some widen the filter (to ALL), none may narrow it below NTP.
        var applied = new HwTimestampConfig(config.TxType, config.RxFilter);
        return applied.StampsNtp
            ? probe with { Outcome = NicTimestampingOutcome.Enabled, Previous = previous, Applied = applied }
            : probe with { Outcome = NicTimestampingOutcome.DriverRefused, Previous = previous, Applied = applied };
    }

    private static NicTimestampingResult Probe(SafeFileDescriptor socket, string name)
    {
        int index = IsInterfaceName(name) ? Bpf.NetworkInterfaces.IndexOf(name) : 0;
        if (index == 0)
            return new NicTimestampingResult(name, NicTimestampingOutcome.NoSuchInterface, Errno.ENOENT, null, null, null);

        var query = new EthtoolTsInfo { Cmd = ETHTOOL_GET_TS_INFO };
        if (Request(socket, name, SIOCETHTOOL, &query) != 0)
            return new NicTimestampingResult(name, NicTimestampingOutcome.NoTimestampingInfo, NativeSocketException.LastErrno(), null, null, null);

        var info = new NicTimestampingInfo(index, (TimestampingFlags)query.SoTimestamping, query.PhcIndex, query.TxTypes, query.RxFilters);
        NicTimestampingOutcome outcome =
            !info.HasHardwareStamps || !info.CanTransmitStamp || info.RxFilter == HWTSTAMP_FILTER_NONE ? NicTimestampingOutcome.NoHardwareTimestamps
            : info.PhcIndex < 0 ? NicTimestampingOutcome.NoPhc
            : NicTimestampingOutcome.Capable;
        return new NicTimestampingResult(name, outcome, Errno.None, info, null, null);
    }

    private static bool TryGetConfig(SafeFileDescriptor socket, string name, out HwTimestampConfig config)
    {
        var current = default(HwTstampConfig);
        bool ok = Request(socket, name, SIOCGHWTSTAMP, &current) == 0;
        config = new HwTimestampConfig(current.TxType, current.RxFilter);
        return ok;
    }

    private static int Request(SafeFileDescriptor socket, string name, nuint request, void* data)
    {
        var ifr = default(IfReq);
        Encoding.ASCII.GetBytes(name, new Span<byte>(ifr.Name, IFNAMSIZ - 1));
        ifr.Data = data;
        return Ioctl(socket, request, &ifr);
    }

    /// <summary>What fits ifr_name: 1 to 15 ASCII characters.</summary>
    private static bool IsInterfaceName(string name) => name.Length is > 0 and < IFNAMSIZ && Ascii.IsValid(name);
}
