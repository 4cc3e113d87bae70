using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastNtp.Crypto;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Xdp;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// The AF_XDP worker's per-frame step without a kernel: NTS request frames in, reply frames out, hostile frames counted,
/// the receive time from the XDP program's stamp in front of the frame where it is one to trust.
/// </summary>
public sealed class AfXdpFrameStepTests : IDisposable
{
    private static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(3_900_000_000, 0x8000_0000);
    /// <summary>TAI − UTC, 37 s since 2017, as the state map holds it.</summary>
    private const long TaiOffset = 37_000_000_000;
    /// <summary>The batch's pick-up reading in the stamp tests, in Unix nanoseconds.</summary>
    private const long PickUpUnixNanoseconds = 1_764_400_000_123_456_789;
    private static readonly NtpTimestamp PickedUp = NtpTimestamp.FromUnixNanoseconds(PickUpUnixNanoseconds);
    private static readonly ServerSnapshot Snapshot = ServerSnapshot.LocalClock(2, -20, ReceiveTime);
    private static readonly MacAddress ClientMac = new(0x02_00_00_00_00_02);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_01);
    private static readonly byte[] ClientV4 = [10, 0, 0, 2];
    private static readonly byte[] ServerV4 = [10, 0, 0, 1];
    private static readonly byte[] ClientV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    private static readonly byte[] ServerV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), 1000, 7));
    private readonly NtsResponder _nts;
    private readonly WorkerCounters _counters = new();
    private readonly AfXdpFrameStep<FixedClock> _step;
    private readonly Aead _c2s;
    private readonly byte[] _c2sKey = new byte[32];
    private readonly byte[] _s2cKey = new byte[32];

    public AfXdpFrameStepTests()
    {
        _nts = new NtsResponder(_store);
        _step = new AfXdpFrameStep<FixedClock>(new PacketStep(new Responder(_nts), null, _counters), new FixedClock(ReceiveTime + NtpDuration.FromMilliseconds(1)));
        _c2sKey.AsSpan().Fill(7);
        _s2cKey.AsSpan().Fill(9);
        _c2s = Aead.Create(AeadAlgorithm.AesSivCmac256, _c2sKey);
    }

    public void Dispose()
    {
        _c2s.Dispose();
        _nts.Dispose();
    }

    private byte[] NtsPayload()
    {
        using var codec = new NtsCookieCodec(_store, new RandomPool());
        byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
        int cookieLength = codec.Seal(AeadAlgorithm.AesSivCmac256, _c2sKey, _s2cKey, cookie);
        byte[] packet = new byte[2048];
        int length = NtsClientPacket.Write(packet, NtpTimestamp.FromParts(3_900_000_000, 1), new byte[32], cookie.AsSpan(0, cookieLength), 0, _c2s, new byte[_c2s.NonceLength]);
        return packet[..length];
    }

    private static byte[] Frame(bool ipv6, byte[] payload)
    {
        byte[] frame = new byte[UdpFrame.HeadersLength(ipv6) + payload.Length];
        UdpFrameWriter.Write(frame, ClientMac, ServerMac, ipv6 ? ClientV6 : ClientV4, ipv6 ? ServerV6 : ServerV4, 40000, 123, payload);
        return frame;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NtsRequestFrame_BecomesTheReplyFrameInPlaceFromTheAddressItCameTo(bool ipv6)
    {
        byte[] request = Frame(ipv6, NtsPayload());
        byte[] frame = (byte[])request.Clone();
        int length = _step.AnswerFrame(frame, [], 0, ReceiveTime, Snapshot);

        Assert.InRange(length, UdpFrame.HeadersLength(ipv6) + NtpHeader.Length + 1, request.Length);
        Assert.Equal(FrameError.None, UdpFrame.TryParse(frame.AsSpan(0, length), out UdpFrame reply));
        Assert.Equal(ServerMac, reply.SourceMac);
        Assert.Equal(ClientMac, reply.DestinationMac);
        Assert.Equal(ipv6 ? ServerV6 : ServerV4, reply.SourceAddress.ToArray());
        Assert.Equal(ipv6 ? ClientV6 : ClientV4, reply.DestinationAddress.ToArray());
        Assert.Equal(123, reply.SourcePort);
        Assert.Equal(40000, reply.DestinationPort);
        Assert.Equal((int)NtpMode.Server, reply.Payload[0] & 7);
        Assert.Equal(1, _counters.Answered);
    }

    [Fact]
    public void HostileFrames_AreCountedByReasonAndNeverAnswered()
    {
        byte[] good = Frame(false, NtsPayload());
        byte[] badChecksum = (byte[])good.Clone();
        badChecksum[^1] ^= 0xff;
        byte[] wrongUdpLength = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(wrongUdpLength.AsSpan(EthernetHeader.Length + Ipv4Header.Length + 4), 9);
        byte[] v6 = Frame(true, NtsPayload());
        byte[] extensionHeader = (byte[])v6.Clone();
        extensionHeader[EthernetHeader.Length + 6] = 0; // next header: hop-by-hop options
        byte[][] hostile = [good[..10], good[..20], good[..40], badChecksum, wrongUdpLength, extensionHeader, new byte[60]];

        foreach (byte[] frame in hostile)
            Assert.Equal(0, _step.AnswerFrame(frame, [], 0, ReceiveTime, Snapshot));

        long[] errors = _step.Frames.FrameErrors;
        Assert.Equal(hostile.Length, errors.Sum());
        Assert.Equal(1, errors[(int)FrameError.TruncatedEthernet]);
        Assert.Equal(1, errors[(int)FrameError.BadUdpChecksum]);
        Assert.Equal(1, errors[(int)FrameError.Ipv6ExtensionHeader]);
        Assert.Equal(0, _counters.Received);
    }

    [Fact]
    public void Step_Answers100000NtsRequestFramesWithoutAllocating()
    {
        byte[] request = Frame(false, NtsPayload());
        byte[] frame = GC.AllocateArray<byte>(request.Length, pinned: true);
        byte[] stamp = Stamp(PickUpUnixNanoseconds + TaiOffset - 1_000_000);
        byte[] metadata = GC.AllocateArray<byte>(stamp.Length, pinned: true);
        // Warm-up: tiering, lazy statics and first use of every path the steady state takes.
        for (int i = 0; i < 20_000; i++)
        {
            request.CopyTo(frame, 0);
            stamp.CopyTo(metadata, 0);
            Assert.True(_step.AnswerFrame(frame, metadata, TaiOffset, PickedUp, Snapshot) > 0);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int answered = 0;
        for (int i = 0; i < 100_000; i++)
        {
            request.CopyTo(frame, 0);
            stamp.CopyTo(metadata, 0);
            if (_step.AnswerFrame(frame, metadata, TaiOffset, PickedUp, Snapshot) > 0) answered++;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100_000, answered);
        Assert.Equal(0, allocated);
        Assert.Equal(0, _step.Frames.Unstamped);
    }

    /// <summary>struct fastntp_rx_meta as the XDP program writes it: the CLOCK_TAI stamp and its check word.</summary>
    private static byte[] Stamp(long taiNanoseconds, ulong? check = null)
    {
        var stamp = new XdpReceiveMetadata { RxTaiNanoseconds = (ulong)taiNanoseconds, Check = check ?? ((ulong)taiNanoseconds ^ XdpReceiveMetadata.CheckKey) };
        byte[] octets = new byte[AfXdpReceiveTime.MetadataLength];
        MemoryMarshal.Write(octets, in stamp);
        return octets;
    }

    /// <summary>Answers one NTS request frame with <paramref name="metadata"/> in front of it; returns the reply's receive timestamp.</summary>
    private NtpTimestamp AnsweredReceiveTime(byte[] metadata)
    {
        byte[] frame = Frame(false, NtsPayload());
        int length = _step.AnswerFrame(frame, metadata, TaiOffset, PickedUp, Snapshot);
        Assert.True(length > 0, "the request was not answered");
        return NtpTimestamp.Read(frame.AsSpan(UdpFrame.HeadersLength(false) + 32));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3_000_000)]
    [InlineData(499_999_999)]
    public void ValidStamp_IsTheReplysReceiveTime(long waitNanoseconds)
    {
        long stampedUnix = PickUpUnixNanoseconds - waitNanoseconds;
        byte[] metadata = Stamp(stampedUnix + TaiOffset);

        Assert.Equal(NtpTimestamp.FromUnixNanoseconds(stampedUnix), AnsweredReceiveTime(metadata));
        Assert.Equal(0, _step.Frames.Unstamped);
        // Read once: a later frame in this chunk whose driver refused the metadata finds no stamp here.
        Assert.All(metadata, b => Assert.Equal(0, b));
    }

    [Fact]
    public void MissingOrCorruptStamp_LeavesThePickUpReadingAndIsCounted()
    {
        long tai = PickUpUnixNanoseconds + TaiOffset - 1_000_000;
        byte[] flipped = Stamp(tai);
        flipped[3] ^= 0x10;
        byte[] ones = new byte[AfXdpReceiveTime.MetadataLength];
        ones.AsSpan().Fill(0xff);
        byte[][] unstamped =
        [
            [], // no room in front of the frame
            new byte[AfXdpReceiveTime.MetadataLength], // a driver that refused the metadata, zeroed memory
            ones, // a uniform fill
            flipped, // one bit of the stamp changed
            Stamp(tai, check: (ulong)tai), // the check word without the key
            Stamp(tai)[..8], // too short to hold a stamp
        ];

        foreach (byte[] metadata in unstamped) Assert.Equal(PickedUp, AnsweredReceiveTime(metadata));
        Assert.Equal(unstamped.Length, _step.Frames.Unstamped);
    }

    [Theory]
    [InlineData(-1)] // after the pick-up: the program reads the clock first
    [InlineData(-1_000_000_000)] // an inserted leap the state map's offset has not followed yet
    [InlineData(-3_600_000_000_000)] // the clock stepped back an hour between the two readings
    [InlineData(500_000_001)] // older than any wait in a ring
    [InlineData(1_000_000_000)] // a deleted leap the state map's offset has not followed yet
    [InlineData(86_400_000_000_000)] // a day: the clock stepped forward, or a bad driver
    [InlineData(long.MinValue / 2)] // nonsense that passes the check
    public void StampOutsideTheWindow_LeavesThePickUpReadingAndIsCounted(long waitNanoseconds)
    {
        Assert.Equal(PickedUp, AnsweredReceiveTime(Stamp(PickUpUnixNanoseconds - waitNanoseconds + TaiOffset)));
        Assert.Equal(1, _step.Frames.Unstamped);
    }
}
