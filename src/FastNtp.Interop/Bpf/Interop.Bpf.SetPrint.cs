using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Replaces libbpf's logger (stderr by default); 0 silences it.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "libbpf_set_print")]
        internal static partial nint SetPrint(nint printFunction);
    }
}
