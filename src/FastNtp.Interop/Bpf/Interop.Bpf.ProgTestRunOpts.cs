using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Runs a loaded program once on a buffer given here (BPF_PROG_TEST_RUN), no network involved.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_prog_test_run_opts")]
        internal static partial int ProgTestRunOpts(int programFd, ref BpfTestRunOptions options);
    }
}
