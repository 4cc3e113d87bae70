using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map__value_size")]
        internal static partial uint MapValueSize(nint map);
    }
}
