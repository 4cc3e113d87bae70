using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>How many values a per-CPU map holds per key.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "libbpf_num_possible_cpus")]
        internal static partial int NumPossibleCpus();
    }
}
