using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// ioctl(2) with a pointer argument. The prototype is variadic; on the LP64 targets FastNtp supports (x86-64,
        /// and arm64 under the Linux AAPCS64) a variadic pointer travels exactly like a fixed one.
        /// </summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
        internal static unsafe partial int Ioctl(SafeHandle fd, nuint request, void* argument);

        /// <summary>SIOCETHTOOL (linux/sockios.h): an ethtool command, its struct in <see cref="IfReq.Data"/>.</summary>
        internal const nuint SIOCETHTOOL = 0x8946;

        /// <summary>SIOCSHWTSTAMP: sets a NIC's <see cref="HwTstampConfig"/> and writes back what the driver applied.</summary>
        internal const nuint SIOCSHWTSTAMP = 0x89b0;

        /// <summary>SIOCGHWTSTAMP: reads a NIC's current <see cref="HwTstampConfig"/>.</summary>
        internal const nuint SIOCGHWTSTAMP = 0x89b1;

        /// <summary>ETHTOOL_GET_TS_INFO (linux/ethtool.h): the <see cref="EthtoolTsInfo"/> command.</summary>
        internal const uint ETHTOOL_GET_TS_INFO = 0x41;

        /// <summary>IFNAMSIZ: an interface name and its terminating NUL.</summary>
        internal const int IFNAMSIZ = 16;

        /// <summary>struct ifreq (linux/if.h), 40 bytes on LP64: the name, then a union whose pointer member carries the request.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct IfReq
        {
            public fixed byte Name[IFNAMSIZ];
            /// <summary>ifr_data: the ethtool command or hwtstamp_config.</summary>
            public void* Data;
            private fixed byte _unionRest[16];
        }

        /// <summary>struct ethtool_ts_info: what timestamping an interface supports and its PHC.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct EthtoolTsInfo
        {
            public uint Cmd;
            /// <summary>SOF_TIMESTAMPING_* flags the interface supports.</summary>
            public uint SoTimestamping;
            /// <summary>The /dev/ptpN number, -1 without a PTP hardware clock.</summary>
            public int PhcIndex;
            /// <summary>Bit n set: HWTSTAMP_TX type n is supported.</summary>
            public uint TxTypes;
            public fixed uint TxReserved[3];
            /// <summary>Bit n set: HWTSTAMP_FILTER n is supported.</summary>
            public uint RxFilters;
            public fixed uint RxReserved[3];
        }

        /// <summary>struct hwtstamp_config (linux/net_tstamp.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct HwTstampConfig
        {
            public int Flags;
            /// <summary>HWTSTAMP_TX_*.</summary>
            public int TxType;
            /// <summary>HWTSTAMP_FILTER_*.</summary>
            public int RxFilter;
        }

        internal const int HWTSTAMP_TX_OFF = 0;
        internal const int HWTSTAMP_TX_ON = 1;
        internal const int HWTSTAMP_FILTER_NONE = 0;
        internal const int HWTSTAMP_FILTER_ALL = 1;
        internal const int HWTSTAMP_FILTER_NTP_ALL = 15;

        /// <summary>PTP_MAX_SAMPLES (linux/ptp_clock.h): readings one PTP_SYS_OFFSET* call returns at most.</summary>
        internal const int PTP_MAX_SAMPLES = 25;

        /// <summary>_IOW('=', 5, struct ptp_sys_offset): readings [system, PHC, system, PHC, ..., system].</summary>
        internal const nuint PTP_SYS_OFFSET = 0x43403d05;

        /// <summary>_IOWR('=', 8, struct ptp_sys_offset_precise): one cross-timestamp the hardware takes at once (PCIe PTM, ART).</summary>
        internal const nuint PTP_SYS_OFFSET_PRECISE = 0xc0403d08;

        /// <summary>_IOWR('=', 9, struct ptp_sys_offset_extended): readings [system, PHC, system] with the driver's tightest bracket.</summary>
        internal const nuint PTP_SYS_OFFSET_EXTENDED = 0xc4c03d09;

        /// <summary>struct ptp_clock_time: 64-bit seconds, nanoseconds, 16 bytes.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct PtpClockTime
        {
            public long Seconds;
            public uint Nanoseconds;
            public uint Reserved;

            public readonly long TotalNanoseconds => Seconds * 1_000_000_000 + Nanoseconds;
        }

        /// <summary>struct ptp_sys_offset: 2n+1 alternating readings, system first.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct PtpSysOffset
        {
            public uint SampleCount;
            public fixed uint Reserved[3];
            private fixed byte _times[(2 * PTP_MAX_SAMPLES + 1) * 16];

            public readonly PtpClockTime Time(int index) => Read(ref Unsafe.AsRef(in _times[0]), index, 2 * PTP_MAX_SAMPLES + 1);
        }

        /// <summary>struct ptp_sys_offset_extended: n triples [system before, PHC, system after]; Reserved[0] 0 asks for CLOCK_REALTIME.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct PtpSysOffsetExtended
        {
            public uint SampleCount;
            public fixed uint Reserved[3];
            private fixed byte _times[PTP_MAX_SAMPLES * 3 * 16];

            public readonly PtpClockTime Time(int sample, int part) => Read(ref Unsafe.AsRef(in _times[0]), sample * 3 + part, PTP_MAX_SAMPLES * 3);
        }

        /// <summary>struct ptp_sys_offset_precise: the device time and the system clocks at the same instant.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct PtpSysOffsetPrecise
        {
            public PtpClockTime Device;
            public PtpClockTime SystemRealtime;
            public PtpClockTime SystemMonotonicRaw;
            public fixed uint Reserved[4];
        }

        private static PtpClockTime Read(ref byte times, int index, int count)
        {
            if ((uint)index >= (uint)count) throw new ArgumentOutOfRangeException(nameof(index));
            return Unsafe.ReadUnaligned<PtpClockTime>(ref Unsafe.Add(ref times, index * 16));
        }
    }
}
