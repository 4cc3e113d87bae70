using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>The program's descriptor once loaded, owned by its object.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_program__fd")]
        internal static partial int ProgramFd(nint program);
    }
}
