using BenchmarkDotNet.Attributes;
using FastNtp.Protocol.Ntp;

namespace FastNtp.Benchmarks.Ntp;

/// <summary>The 48-byte header codec on its own.</summary>
[MemoryDiagnoser]
public class NtpCodecBenchmarks
{
    private readonly byte[] _packet = new byte[NtpHeader.Length];
    private NtpHeader _header;

    [GlobalSetup]
    public void Setup()
    {
        _header = new NtpHeader
        {
            Leap = LeapIndicator.NoWarning,
            Version = 4,
            Mode = NtpMode.Server,
            Stratum = 2,
            Poll = 6,
            Precision = -24,
            RootDelay = 0x0000_0123,
            RootDispersion = 0x0000_0456,
            ReferenceId = ReferenceId.Local,
            ReferenceTime = new NtpTimestamp(0xEC00_0000_1234_5678),
            OriginTime = new NtpTimestamp(0xEC00_0001_1234_5678),
            ReceiveTime = new NtpTimestamp(0xEC00_0002_1234_5678),
            TransmitTime = new NtpTimestamp(0xEC00_0003_1234_5678),
        };
        _header.Write(_packet);
    }

    [Benchmark]
    public NtpHeader Parse()
    {
        NtpHeader.TryRead(_packet, out NtpHeader header);
        return header;
    }

    [Benchmark]
    public byte Serialize()
    {
        _header.Write(_packet);
        return _packet[47];
    }
}
