using System.Runtime.InteropServices;

namespace FastNtp.Interop.Threading;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static unsafe partial int SchedGetAffinity(int pid, nuint cpuSetSize, byte* mask);
}
