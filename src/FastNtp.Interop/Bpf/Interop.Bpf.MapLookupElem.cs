using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Copies one value out; a per-CPU map writes one value per possible CPU, each padded to 8 octets.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map_lookup_elem", SetLastError = true)]
        internal static unsafe partial int MapLookupElem(int mapFd, void* key, void* value);
    }
}
