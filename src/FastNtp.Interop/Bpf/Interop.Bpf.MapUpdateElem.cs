using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
        internal static unsafe partial int MapUpdateElem(int mapFd, void* key, void* value, ulong flags);
    }
}
