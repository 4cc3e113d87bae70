using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Threading;

/// <summary>Thread-to-core pinning through sched_setaffinity (Linux).</summary>
public static unsafe class CpuAffinity
{
    /// <summary>sizeof(cpu_set_t) in glibc: 1024 CPUs.</summary>
    internal const int CpuSetBytes = 128;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The CPUs this process may run on (what taskset or a cgroup allows), in ascending order.</summary>
    public static int[] GetAllowedCpus()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("CPU affinity needs Linux.");
        byte* mask = stackalloc byte[CpuSetBytes];
        new Span<byte>(mask, CpuSetBytes).Clear();
        // pid 0 is the calling thread.
        if (Interop.Libc.SchedGetAffinity(0, CpuSetBytes, mask) != 0) throw NativeSocketException.FromLastError("sched_getaffinity");
        var cpus = new List<int>();
        for (int cpu = 0; cpu < CpuSetBytes * 8; cpu++)
        {
            if ((mask[cpu >> 3] & (1 << (cpu & 7))) != 0) cpus.Add(cpu);
        }

        return [.. cpus];
    }

    /// <summary>Pins the calling thread to one CPU; false with the errno when the kernel refuses.</summary>
    public static bool TryPinCurrentThread(int cpu, out Errno error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, CpuSetBytes * 8);
        if (!IsSupported) throw new PlatformNotSupportedException("CPU affinity needs Linux.");
        byte* mask = stackalloc byte[CpuSetBytes];
        new Span<byte>(mask, CpuSetBytes).Clear();
        mask[cpu >> 3] = (byte)(1 << (cpu & 7));
        if (Interop.Libc.SchedSetAffinity(0, CpuSetBytes, mask) == 0)
        {
            error = Errno.None;
            return true;
        }

        error = (Errno)Marshal.GetLastPInvokeError();
        return false;
    }
}
