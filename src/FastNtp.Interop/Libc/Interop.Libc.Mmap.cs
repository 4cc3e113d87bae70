using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>Maps a BPF map's memory (BPF_F_MMAPABLE), an AF_XDP ring or anonymous memory into this process.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);
    }
}
