namespace FastNtp.Interop.Bpf;

/// <summary>
/// A BPF ELF object opened from memory and loaded into the kernel through libbpf: its programs and maps
/// live until it is disposed, and attached programs as long as their <see cref="BpfLink"/> besides.
/// </summary>
public sealed class BpfObject : IDisposable
{
    private readonly SafeBpfObjectHandle _handle;

    private BpfObject(SafeBpfObjectHandle handle)
    {
        _handle = handle;
    }

    /// <summary>Parses the object; nothing reaches the kernel until <see cref="Load"/>.</summary>
    public static unsafe BpfObject Open(ReadOnlySpan<byte> elf)
    {
        // libbpf would print its own diagnostics to stderr; callers report failures in their own words.
        Interop.Bpf.SetPrint(0);
        SafeBpfObjectHandle handle;
        fixed (byte* buffer = elf)
        {
            handle = Interop.Bpf.ObjectOpenMem(buffer, (nuint)elf.Length, 0);
        }

        if (handle.IsInvalid)
        {
            var error = BpfException.FromLastError("bpf_object__open_mem");
            handle.Dispose();
            throw error;
        }

        return new BpfObject(handle);
    }

    /// <summary>Values per key in a per-CPU map.</summary>
    public static int PossibleCpus
    {
        get
        {
            int count = Interop.Bpf.NumPossibleCpus();
            BpfException.ThrowIfNegative(count, "libbpf_num_possible_cpus");
            return count;
        }
    }

    /// <summary>Sets the program's read-only globals (its .rodata section) before <see cref="Load"/>.</summary>
    public unsafe void SetReadOnlyData(ReadOnlySpan<byte> data)
    {
        nint map = FindMap(".rodata");
        uint size = Interop.Bpf.MapValueSize(map);
        if (data.Length != size)
            throw new ArgumentException($"The object's .rodata holds {size} octets, not {data.Length}.", nameof(data));
        fixed (byte* bytes = data)
        {
            BpfException.ThrowIfNegative(Interop.Bpf.MapSetInitialValue(map, bytes, (nuint)data.Length), "bpf_map__set_initial_value");
        }
    }

    /// <summary>Sets how many elements a map holds, before <see cref="Load"/>.</summary>
    public void SetMaxEntries(string mapName, int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        BpfException.ThrowIfNegative(Interop.Bpf.MapSetMaxEntries(FindMap(mapName), (uint)maxEntries), "bpf_map__set_max_entries");
    }

    /// <summary>Creates the maps and loads the programs, which the kernel's verifier checks now.</summary>
    public void Load() => BpfException.ThrowIfNegative(Interop.Bpf.ObjectLoad(_handle), "bpf_object__load");

    public BpfMap Map(string name)
    {
        nint map = FindMap(name);
        int fd = Interop.Bpf.MapFd(map);
        BpfException.ThrowIfNegative(fd, "bpf_map__fd");
        return new BpfMap(this, fd, (int)Interop.Bpf.MapValueSize(map));
    }

    public BpfProgram Program(string name)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        nint program = Interop.Bpf.ObjectFindProgramByName(_handle, name);
        if (program == 0) throw new ArgumentException($"The BPF object has no program {name}.", nameof(name));
        int fd = Interop.Bpf.ProgramFd(program);
        BpfException.ThrowIfNegative(fd, "bpf_program__fd");
        return new BpfProgram(this, fd);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    private nint FindMap(string name)
    {
        ThrowIfDisposed();
        nint map = Interop.Bpf.ObjectFindMapByName(_handle, name);
        if (map == 0) throw new ArgumentException($"The BPF object has no map {name}.", nameof(name));
        return map;
    }

    public void Dispose() => _handle.Dispose();
}
