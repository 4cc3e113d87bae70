using FastNtp.Interop.Timestamping;
using static FastNtp.Interop.Interop.Libc;

namespace FastNtp.Interop.Tests.Timestamping;

/// <summary>Pins the NIC and PHC ioctl structs and numbers to the kernel headers, through the C compiler.</summary>
public class TimestampingLayoutTests
{
    private const string Headers =
        "#include <net/if.h>\n#include <sys/socket.h>\n#include <linux/ethtool.h>\n#include <linux/net_tstamp.h>\n#include <linux/ptp_clock.h>\n#include <linux/sockios.h>\n#include <fcntl.h>\n";

    [Fact]
    public void LayoutsAndConstants_MatchTheCCompiler()
    {
        var managed = new Dictionary<string, long>
        {
            ["sizeof(struct ifreq)"] = Unsafe.SizeOf<IfReq>(),
            ["offsetof(struct ifreq, ifr_data)"] = Offset<IfReq>(nameof(IfReq.Data)),
            ["sizeof(struct ethtool_ts_info)"] = Unsafe.SizeOf<EthtoolTsInfo>(),
            ["offsetof(struct ethtool_ts_info, so_timestamping)"] = Offset<EthtoolTsInfo>(nameof(EthtoolTsInfo.SoTimestamping)),
            ["offsetof(struct ethtool_ts_info, phc_index)"] = Offset<EthtoolTsInfo>(nameof(EthtoolTsInfo.PhcIndex)),
            ["offsetof(struct ethtool_ts_info, tx_types)"] = Offset<EthtoolTsInfo>(nameof(EthtoolTsInfo.TxTypes)),
            ["offsetof(struct ethtool_ts_info, rx_filters)"] = Offset<EthtoolTsInfo>(nameof(EthtoolTsInfo.RxFilters)),
            ["sizeof(struct hwtstamp_config)"] = Unsafe.SizeOf<HwTstampConfig>(),
            ["offsetof(struct hwtstamp_config, tx_type)"] = Offset<HwTstampConfig>(nameof(HwTstampConfig.TxType)),
            ["offsetof(struct hwtstamp_config, rx_filter)"] = Offset<HwTstampConfig>(nameof(HwTstampConfig.RxFilter)),
            ["sizeof(struct ptp_clock_time)"] = Unsafe.SizeOf<PtpClockTime>(),
            ["offsetof(struct ptp_clock_time, nsec)"] = Offset<PtpClockTime>(nameof(PtpClockTime.Nanoseconds)),
            ["sizeof(struct ptp_sys_offset)"] = Unsafe.SizeOf<PtpSysOffset>(),
            ["offsetof(struct ptp_sys_offset, ts)"] = Unsafe.SizeOf<PtpSysOffset>() - (2 * PTP_MAX_SAMPLES + 1) * 16,
            ["sizeof(struct ptp_sys_offset_extended)"] = Unsafe.SizeOf<PtpSysOffsetExtended>(),
            ["offsetof(struct ptp_sys_offset_extended, ts)"] = Unsafe.SizeOf<PtpSysOffsetExtended>() - PTP_MAX_SAMPLES * 3 * 16,
            ["sizeof(struct ptp_sys_offset_precise)"] = Unsafe.SizeOf<PtpSysOffsetPrecise>(),
            ["offsetof(struct ptp_sys_offset_precise, sys_realtime)"] = Offset<PtpSysOffsetPrecise>(nameof(PtpSysOffsetPrecise.SystemRealtime)),
            ["offsetof(struct ptp_sys_offset_precise, sys_monoraw)"] = Offset<PtpSysOffsetPrecise>(nameof(PtpSysOffsetPrecise.SystemMonotonicRaw)),
            ["IFNAMSIZ"] = IFNAMSIZ,
            ["SIOCETHTOOL"] = (long)SIOCETHTOOL,
            ["SIOCSHWTSTAMP"] = (long)SIOCSHWTSTAMP,
            ["SIOCGHWTSTAMP"] = (long)SIOCGHWTSTAMP,
            ["ETHTOOL_GET_TS_INFO"] = ETHTOOL_GET_TS_INFO,
            ["HWTSTAMP_TX_OFF"] = HWTSTAMP_TX_OFF,
            ["HWTSTAMP_TX_ON"] = HWTSTAMP_TX_ON,
            ["HWTSTAMP_FILTER_NONE"] = HWTSTAMP_FILTER_NONE,
            ["HWTSTAMP_FILTER_ALL"] = HWTSTAMP_FILTER_ALL,
            ["HWTSTAMP_FILTER_NTP_ALL"] = HWTSTAMP_FILTER_NTP_ALL,
            ["PTP_MAX_SAMPLES"] = PTP_MAX_SAMPLES,
            ["PTP_SYS_OFFSET"] = (long)PTP_SYS_OFFSET,
            ["PTP_SYS_OFFSET_PRECISE"] = (long)PTP_SYS_OFFSET_PRECISE,
            ["PTP_SYS_OFFSET_EXTENDED"] = (long)PTP_SYS_OFFSET_EXTENDED,
            ["O_RDONLY"] = O_RDONLY,
            ["O_CLOEXEC"] = O_CLOEXEC,
            ["SOF_TIMESTAMPING_TX_HARDWARE"] = (long)TimestampingFlags.TxHardware,
            ["SOF_TIMESTAMPING_RX_HARDWARE"] = (long)TimestampingFlags.RxHardware,
            ["SOF_TIMESTAMPING_RAW_HARDWARE"] = (long)TimestampingFlags.RawHardware,
            ["SOF_TIMESTAMPING_OPT_ID"] = (long)TimestampingFlags.OptId,
            ["SOF_TIMESTAMPING_OPT_TSONLY"] = (long)TimestampingFlags.OptTimestampOnly,
            ["SOF_TIMESTAMPING_OPT_PKTINFO"] = (long)TimestampingFlags.OptPacketInfo,
            ["SCM_TIMESTAMPING_PKTINFO"] = LinuxConstants.SCM_TIMESTAMPING_PKTINFO,
            ["sizeof(struct scm_ts_pktinfo)"] = Unsafe.SizeOf<ScmTsPktInfo>(),
            ["offsetof(struct scm_ts_pktinfo, pkt_length)"] = Offset<ScmTsPktInfo>(nameof(ScmTsPktInfo.PacketLength)),
        };

        Dictionary<string, long> c = CProbe.Run(Headers, managed.Keys);

        var mismatches = managed.Where(m => c[m.Key] != m.Value).Select(m => $"{m.Key}: C says {c[m.Key]}, managed says {m.Value}").ToList();
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public void ExtendedOffsets_AreReadAsSystemPhcSystemTriples()
    {
        var offsets = default(PtpSysOffsetExtended);
        Span<PtpClockTime> times = MemoryMarshal.Cast<byte, PtpClockTime>(MemoryMarshal.AsBytes(new Span<PtpSysOffsetExtended>(ref offsets))[16..]);
        times[3] = new PtpClockTime { Seconds = 1_700_000_000, Nanoseconds = 999_999_990 };
        times[4] = new PtpClockTime { Seconds = 37, Nanoseconds = 5 };
        times[5] = new PtpClockTime { Seconds = 1_700_000_001, Nanoseconds = 10 };
        var readings = new PhcReading[2];

        Assert.Equal(2, PtpHardwareClock.ToReadings(offsets, readings));

        Assert.Equal(new PhcReading(1_700_000_000_999_999_990, 37_000_000_005, 1_700_000_001_000_000_010), readings[1]);
        Assert.Equal(20, readings[1].BracketNanoseconds);
    }

    [Fact]
    public void BasicOffsets_ShareTheSystemReadingBetweenNeighbours()
    {
        var offsets = default(PtpSysOffset);
        Span<PtpClockTime> times = MemoryMarshal.Cast<byte, PtpClockTime>(MemoryMarshal.AsBytes(new Span<PtpSysOffset>(ref offsets))[16..]);
        for (int i = 0; i < 5; i++) times[i] = new PtpClockTime { Seconds = i, Nanoseconds = (uint)(i * 10) };
        var readings = new PhcReading[2];

        Assert.Equal(2, PtpHardwareClock.ToReadings(offsets, readings));

        Assert.Equal(new PhcReading(0, 1_000_000_010, 2_000_000_020), readings[0]);
        Assert.Equal(new PhcReading(2_000_000_020, 3_000_000_030, 4_000_000_040), readings[1]);
    }

    [Fact]
    public void PreciseOffset_IsOneReadingWithoutBracket()
    {
        var offset = new PtpSysOffsetPrecise
        {
            Device = new PtpClockTime { Seconds = 100, Nanoseconds = 1 },
            SystemRealtime = new PtpClockTime { Seconds = 1_800_000_000, Nanoseconds = 2 },
        };
        var readings = new PhcReading[4];

        Assert.Equal(1, PtpHardwareClock.ToReadings(offset, readings));

        Assert.Equal(new PhcReading(1_800_000_000_000_000_002, 100_000_000_001, 1_800_000_000_000_000_002), readings[0]);
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
