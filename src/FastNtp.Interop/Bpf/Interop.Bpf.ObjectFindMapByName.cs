using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>A map by name; ".rodata" and the like name the sections that hold global data.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint ObjectFindMapByName(SafeBpfObjectHandle obj, string name);
    }
}
