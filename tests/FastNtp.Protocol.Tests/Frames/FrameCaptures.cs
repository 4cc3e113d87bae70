using System.Net;

namespace FastNtp.Protocol.Tests.Frames;

/// <summary>
/// Frames built by make_captures.py (Python's struct and a plain 16-bit RFC 1071 sum, no code shared with the
/// codec): an NTPv4 client request from 10.201.3.7:40001 to 10.200.0.2:123, and the same over IPv6 from
/// [fd00:201::3:7]:40001 to [fd00:200::2]:123, MAC 02:00:00:00:00:01 to 02:00:00:00:00:02.
/// </summary>
internal static class FrameCaptures
{
    public static readonly MacAddress ClientMac = new(0x02_00_00_00_00_01);
    public static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);
    public const ushort ClientPort = 40001;
    public const ushort ServerPort = 123;
    public static readonly byte[] ClientV4 = IPAddress.Parse("10.201.3.7").GetAddressBytes();
    public static readonly byte[] ServerV4 = IPAddress.Parse("10.200.0.2").GetAddressBytes();
    public static readonly byte[] ClientV6 = IPAddress.Parse("fd00:201::3:7").GetAddressBytes();
    public static readonly byte[] ServerV6 = IPAddress.Parse("fd00:200::2").GetAddressBytes();

    /// <summary>48 bytes: LI 0, VN 4, mode 3, transmit timestamp e7a1b2c3d4e5f607, everything else zero.</summary>
    public static byte[] NtpRequest => Convert.FromHexString(
        "23000000000000000000000000000000000000000000000000000000000000000000000000000000e7a1b2c3d4e5f607");

    public static byte[] RequestV4 => Convert.FromHexString(
        "02000000000202000000000108004500004c00004000401122080ac903070ac800029c41007b0038c1d4" +
        "23000000000000000000000000000000000000000000000000000000000000000000000000000000e7a1b2c3d4e5f607");

    public static byte[] RequestV6 => Convert.FromHexString(
        "02000000000202000000000186dd6000000000381140fd000201000000000000000000030007fd0002000000000000000000000000029c41007b0038dc5f" +
        "23000000000000000000000000000000000000000000000000000000000000000000000000000000e7a1b2c3d4e5f607");

    /// <summary>The plain RFC 1071 definition, 16 bits at a time: the tests' reference for the codec's wider sums.</summary>
    public static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
