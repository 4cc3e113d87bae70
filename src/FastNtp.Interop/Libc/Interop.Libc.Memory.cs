using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>PROT_* (sys/mman.h): what the mapped memory may be used for.</summary>
        [Flags]
        internal enum Protection
        {
            Read = 0x1,
            Write = 0x2,
        }

        /// <summary>MAP_* (sys/mman.h): whether a mapping is shared, and how it is backed and filled.</summary>
        [Flags]
        internal enum MapMode
        {
            Shared = 0x01,
            Private = 0x02,
            Anonymous = 0x20,
            Populate = 0x8000,
        }

        /// <summary>Maps a BPF map's memory (BPF_F_MMAPABLE), an AF_XDP ring or anonymous memory into this process.</summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint Mmap(nint address, nuint length, Protection protection, MapMode mode, int fd, nint offset);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "munmap", SetLastError = true)]
        internal static partial int Munmap(nint address, nuint length);

        /// <summary>
        /// glibc: gives the free memory of every malloc arena back to the kernel (the free pages inside a heap too, not
        /// only its top), keeping <paramref name="pad"/> bytes at the top of the main heap; 1 when anything was released.
        /// </summary>
        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "malloc_trim")]
        internal static partial int MallocTrim(nuint pad);
    }
}
