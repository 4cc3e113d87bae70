using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>The map's descriptor once loaded, owned by its object.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map__fd")]
        internal static partial int MapFd(nint map);
    }
}
