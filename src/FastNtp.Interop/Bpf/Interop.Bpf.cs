using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>Opens an ELF object held in memory; libbpf copies what it needs, so the buffer may go after.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
        internal static unsafe partial SafeBpfObjectHandle ObjectOpenMem(byte* buffer, nuint size, nint options);

        /// <summary>A map by name; ".rodata" and the like name the sections that hold global data.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint ObjectFindMapByName(SafeBpfObjectHandle obj, string name);

        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint ObjectFindProgramByName(SafeBpfObjectHandle obj, string name);

        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_object__load")]
        internal static partial int ObjectLoad(SafeBpfObjectHandle obj);

        /// <summary>Unloads the programs and closes the maps of the object (links hold their program on their own).</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_object__close")]
        internal static partial void ObjectClose(nint obj);

        /// <summary>Sizes a map before the object is loaded.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map__set_max_entries")]
        internal static partial int MapSetMaxEntries(nint map, uint maxEntries);

        /// <summary>Sets the content of a global-data map before load; the size must be the map's value size.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map__set_initial_value")]
        internal static unsafe partial int MapSetInitialValue(nint map, byte* data, nuint size);

        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map__value_size")]
        internal static partial uint MapValueSize(nint map);

        /// <summary>The map's descriptor once loaded, owned by its object.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map__fd")]
        internal static partial int MapFd(nint map);

        /// <summary>The program's descriptor once loaded, owned by its object.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_program__fd")]
        internal static partial int ProgramFd(nint program);

        /// <summary>Copies one value out; a per-CPU map writes one value per possible CPU, each padded to 8 octets.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map_lookup_elem", SetLastError = true)]
        internal static unsafe partial int MapLookupElem(int mapFd, void* key, void* value);

        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
        internal static unsafe partial int MapUpdateElem(int mapFd, void* key, void* value, ulong flags);

        /// <summary>How many values a per-CPU map holds per key.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "libbpf_num_possible_cpus")]
        internal static partial int NumPossibleCpus();

        /// <summary>Attaches a program through a BPF link: the attachment lives as long as the descriptor.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_link_create")]
        internal static partial int LinkCreate(int programFd, int targetFd, BpfAttachType type, in BpfLinkCreateOptions options);

        /// <summary>Runs a loaded program once on a buffer given here (BPF_PROG_TEST_RUN), no network involved.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "bpf_prog_test_run_opts")]
        internal static partial int ProgTestRunOpts(int programFd, ref BpfTestRunOptions options);

        /// <summary>Replaces libbpf's logger (stderr by default); 0 silences it.</summary>
        [LibraryImport(Interop.Libraries.Bpf, EntryPoint = "libbpf_set_print")]
        internal static partial nint SetPrint(nint printFunction);
    }
}
