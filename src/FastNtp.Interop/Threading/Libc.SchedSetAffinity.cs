using System.Runtime.InteropServices;

namespace FastNtp.Interop.Threading;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static unsafe partial int SchedSetAffinity(int pid, nuint cpuSetSize, byte* mask);
}
