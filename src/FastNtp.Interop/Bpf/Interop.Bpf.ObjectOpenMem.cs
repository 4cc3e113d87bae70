using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Opens an ELF object held in memory; libbpf copies what it needs, so the buffer may go after.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
        internal static unsafe partial SafeBpfObjectHandle ObjectOpenMem(byte* buffer, nuint size, nint options);
    }
}
