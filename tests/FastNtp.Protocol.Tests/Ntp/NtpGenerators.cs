namespace FastNtp.Protocol.Tests.Ntp;

/// <summary>FsCheck generators for NTP values, shared by the codec and responder property tests.</summary>
internal static class NtpGenerators
{
    public static Gen<byte> Byte => Gen.Choose(0, 255).Select(b => (byte)b);

    public static Gen<uint> UInt32 =>
        from hi in Gen.Choose(0, 0xFFFF)
        from lo in Gen.Choose(0, 0xFFFF)
        select ((uint)hi << 16) | (uint)lo;

    /// <summary>Timestamps biased toward the era boundary and zero, where conversion bugs hide.</summary>
    public static Gen<NtpTimestamp> Timestamp =>
        Gen.Frequency(
            (6, Gen.Zip(UInt32, UInt32, NtpTimestamp.FromParts)),
            (1, Gen.Elements(
                NtpTimestamp.Zero,
                NtpTimestamp.FromParts(uint.MaxValue, uint.MaxValue),
                NtpTimestamp.FromParts(uint.MaxValue, 0),
                NtpTimestamp.FromParts(0, 1))));

    public static Gen<byte[]> Bytes(int length) => Gen.ArrayOf(Byte, length);

    /// <summary>Every field drawn independently over its whole wire range.</summary>
    public static Gen<NtpHeader> Header =>
        from first in Gen.Choose(0, 255)
        from stratum in Byte
        from poll in Byte
        from precision in Byte
        from rootDelay in UInt32
        from rootDispersion in UInt32
        from referenceId in UInt32
        from referenceTime in Timestamp
        from originTime in Timestamp
        from receiveTime in Timestamp
        from transmitTime in Timestamp
        select new NtpHeader
        {
            Leap = (LeapIndicator)(first >> 6),
            Version = (byte)((first >> 3) & 7),
            Mode = (NtpMode)(first & 7),
            Stratum = stratum,
            Poll = (sbyte)poll,
            Precision = (sbyte)precision,
            RootDelay = rootDelay,
            RootDispersion = rootDispersion,
            ReferenceId = new ReferenceId(referenceId),
            ReferenceTime = referenceTime,
            OriginTime = originTime,
            ReceiveTime = receiveTime,
            TransmitTime = transmitTime,
        };
}
