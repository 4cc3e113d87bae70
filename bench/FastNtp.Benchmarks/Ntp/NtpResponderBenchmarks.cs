using BenchmarkDotNet.Attributes;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;

namespace FastNtp.Benchmarks.Ntp;

/// <summary>
/// The whole responder for plain NTP: validate the request, build the reply from the snapshot, stamp the
/// transmit time. One request, and a batch of 64 as a worker handles it after one recvmmsg.
/// </summary>
[MemoryDiagnoser]
public class NtpResponderBenchmarks
{
    private const int BatchSize = 64;

    private readonly Responder _responder = new();
    private readonly byte[] _request = NtpRequests.Client(0xEC00_0000_DEAD_BEEF);
    private readonly byte[] _response = new byte[1472];
    private readonly byte[][] _requests = new byte[BatchSize][];
    private readonly byte[][] _responses = new byte[BatchSize][];
    private ServerSnapshot _snapshot = null!;
    private CountingClock _countingClock;
    private WallClock _wallClock;

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = ServerSnapshot.LocalClock(1, -24, NtpTimestamp.FromDateTime(DateTime.UtcNow));
        for (int i = 0; i < BatchSize; i++)
        {
            _requests[i] = NtpRequests.Client(0xEC00_0000_0000_0000UL + (ulong)i);
            _responses[i] = new byte[1472];
        }
    }

    [Benchmark(Baseline = true)]
    public int OneRequest()
    {
        var info = new RequestInfo(new NtpTimestamp(0xEC00_0000_0000_0001), 40000);
        return _responder.Handle(_request, info, _snapshot, _response, ref _countingClock).Length;
    }

    /// <summary>As a server runs it: the transmit stamp reads the wall clock.</summary>
    [Benchmark]
    public int OneRequestWallClock()
    {
        var info = new RequestInfo(new NtpTimestamp(0xEC00_0000_0000_0001), 40000);
        return _responder.Handle(_request, info, _snapshot, _response, ref _wallClock).Length;
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int BatchOf64()
    {
        var info = new RequestInfo(new NtpTimestamp(0xEC00_0000_0000_0001), 40000);
        int total = 0;
        for (int i = 0; i < BatchSize; i++)
            total += _responder.Handle(_requests[i], info, _snapshot, _responses[i], ref _countingClock).Length;
        return total;
    }
}
