using System.Net;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Tests.Shared;

/// <summary>The client request and the server state that the responder's tests and the XDP program's tests share.</summary>
internal static class TestPackets
{
    public static readonly NtpTimestamp ClientTransmit = NtpTimestamp.FromParts(0xEA04_E2FF, 0x1234_5678);

    /// <summary>
    /// A client request (with <paramref name="extra"/> zero octets after the header) whose every other header field
    /// holds a value a reply must not echo.
    /// </summary>
    public static byte[] ClientRequest(byte version = 4, NtpMode mode = NtpMode.Client, int extra = 0)
    {
        byte[] request = new byte[NtpHeader.Length + extra];
        new NtpHeader
        {
            Leap = LeapIndicator.Unsynchronized,
            Version = version,
            Mode = mode,
            Stratum = 9,
            Poll = 6,
            Precision = -6,
            RootDelay = 0xDEAD_BEEF,
            RootDispersion = 0xFEED_FACE,
            ReferenceId = ReferenceId.FromAscii("XXXX"),
            ReferenceTime = NtpTimestamp.FromParts(1, 1),
            OriginTime = NtpTimestamp.FromParts(2, 2),
            ReceiveTime = NtpTimestamp.FromParts(3, 3),
            TransmitTime = ClientTransmit,
        }.Write(request);
        return request;
    }

    /// <summary>A stratum 2 server synchronized to 192.0.2.7, with root delay and dispersion that show in a reply.</summary>
    public static ServerSnapshot Synchronized(LeapIndicator leap, NtpTimestamp referenceTime) => new()
    {
        Leap = leap,
        Stratum = 2,
        Precision = -21,
        RootDelay = NtpDuration.FromSeconds(0.0625),
        RootDispersion = NtpDuration.FromSeconds(0.5),
        ReferenceId = ReferenceId.FromAddress(IPAddress.Parse("192.0.2.7")),
        ReferenceTime = referenceTime,
    };
}
