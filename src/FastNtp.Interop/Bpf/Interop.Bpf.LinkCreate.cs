using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Attaches a program through a BPF link: the attachment lives as long as the descriptor.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_link_create")]
        internal static partial int LinkCreate(int programFd, int targetFd, BpfAttachType type, in BpfLinkCreateOptions options);
    }
}
