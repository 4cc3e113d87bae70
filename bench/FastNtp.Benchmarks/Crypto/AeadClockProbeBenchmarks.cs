using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace FastNtp.Benchmarks.Crypto;

/// <summary>
/// Measures the core clock the AEAD benchmarks actually run at: a chain of dependent shift + add steps
/// takes exactly 2 cycles per step, so GHz = 2 / (ns per step). The VM reports only its nominal clock
/// in /proc/cpuinfo, and the core boosts above it; bench/RESULTS.md gives cycles per byte at both.
/// </summary>
public class AeadClockProbeBenchmarks
{
    private const int Steps = 1_000_000;

    [Benchmark(OperationsPerInvoke = Steps, Description = "dependent shift+add step (2 cycles)")]
    public ulong DependentStep() => Chain(12345, Steps);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Chain(ulong x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            x += x >> 7;
        }

        return x;
    }
}
