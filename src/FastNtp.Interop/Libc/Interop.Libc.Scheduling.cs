using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sched_getaffinity", SetLastError = true)]
        internal static unsafe partial int SchedGetAffinity(int pid, nuint cpuSetSize, byte* mask);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "sched_setaffinity", SetLastError = true)]
        internal static unsafe partial int SchedSetAffinity(int pid, nuint cpuSetSize, byte* mask);

        /// <summary>setns's namespace type for a network namespace.</summary>
        internal const int CloneNewNet = 0x40000000;

        /// <summary>Moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
        internal static partial int SetNs(SafeHandle fd, int nsType);
    }
}
