using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Server.Xdp;

/// <summary>
/// A redirected request's receive time: the stamp the XDP program took as the driver ran it, read from the
/// metadata in front of the frame (<see cref="XdpReceiveMetadata"/>) and converted as the program converts its
/// own stamps for the replies it sends (CLOCK_TAI less the state map's TAI−UTC offset, which is CLOCK_REALTIME),
/// then to NTP time as the socket engine converts its kernel stamps (<see cref="NtpTimestamp.FromUnixNanoseconds"/>).
/// </summary>
internal static class AfXdpReceiveTime
{
    /// <summary>The octets of metadata the program puts in front of a frame.</summary>
    public static readonly int MetadataLength = Unsafe.SizeOf<XdpReceiveMetadata>();

    /// <summary>
    /// How far before the batch's pick-up a stamp may lie. A stamp after the pick-up cannot be real (the program
    /// reads the same timekeeper first), and no working server keeps a request waiting this long (a ring of 4,096
    /// frames empties in about 10 ms at 400,000 requests/s). Outside that window the clock was stepped between the
    /// two readings, the TAI−UTC offset moved at a leap before the state map caught up (a whole second either
    /// way), or the octets are not the program's: the pick-up reading is then the better receive time.
    /// </summary>
    public static readonly NtpDuration MaxWait = NtpDuration.FromMilliseconds(500);

    /// <summary>
    /// The receive time the stamp in <paramref name="metadata"/> gives; false, with <paramref name="pickedUp"/> as the
    /// receive time, when there is no valid stamp or it lies outside the window. The stamp is cleared as it is read,
    /// so a later frame in the same UMEM chunk whose driver refused the metadata cannot find it there.
    /// </summary>
    /// <param name="metadata">The octets in front of the frame (<see cref="MetadataLength"/>; empty when there is no room).</param>
    /// <param name="taiOffsetNanoseconds">TAI − UTC as the state map holds it for the program.</param>
    /// <param name="pickedUp">The worker's clock reading as it took the batch from the RX ring.</param>
    public static bool TryRead(Span<byte> metadata, long taiOffsetNanoseconds, NtpTimestamp pickedUp, out NtpTimestamp receiveTime)
    {
        receiveTime = pickedUp;
        if (metadata.Length != MetadataLength) return false;
        XdpReceiveMetadata stamp = MemoryMarshal.Read<XdpReceiveMetadata>(metadata);
        metadata.Clear();
        if (!stamp.IsValid) return false;
        var stamped = NtpTimestamp.FromUnixNanoseconds(unchecked((long)stamp.RxTaiNanoseconds - taiOffsetNanoseconds));
        NtpDuration wait = pickedUp - stamped;
        if (wait < NtpDuration.Zero || wait > MaxWait) return false;
        receiveTime = stamped;
        return true;
    }
}
