using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Unloads the programs and closes the maps of the object (links hold their program on their own).</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_object__close")]
        internal static partial void ObjectClose(nint obj);
    }
}
