using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Sets the content of a global-data map before load; the size must be the map's value size.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map__set_initial_value")]
        internal static unsafe partial int MapSetInitialValue(nint map, byte* data, nuint size);
    }
}
