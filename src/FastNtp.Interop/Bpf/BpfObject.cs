using FastNtp.Interop.Sockets;

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
            BpfException error = BpfException.FromLastError("bpf_object__open_mem");
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

/// <summary>A map of a loaded <see cref="BpfObject"/>; valid while the object is.</summary>
public sealed class BpfMap
{
    private readonly BpfObject _owner;
    private readonly int _fd;

    internal BpfMap(BpfObject owner, int fd, int valueSize)
    {
        _owner = owner;
        _fd = fd;
        ValueSize = valueSize;
    }

    public int ValueSize { get; }

    /// <summary>Maps a BPF_F_MMAPABLE array map's values into this process, readable and writable.</summary>
    public BpfMapping MapShared(int length)
    {
        _owner.ThrowIfDisposed();
        nint address = Interop.Libc.Mmap(0, (nuint)length, Interop.Libc.ProtRead | Interop.Libc.ProtWrite, Interop.Libc.MapShared, _fd, 0);
        if (address == -1) throw BpfException.FromLastError("mmap");
        return new BpfMapping(new SafeMappedMemoryHandle(address, (nuint)length), length);
    }

    /// <summary>Reads one key of a per-CPU map: one <typeparamref name="T"/> per possible CPU.</summary>
    public unsafe void LookupPerCpu<T>(uint key, Span<T> perCpu) where T : unmanaged
    {
        _owner.ThrowIfDisposed();
        if (sizeof(T) != ValueSize || sizeof(T) % 8 != 0)
            throw new ArgumentException($"A per-CPU value here is {ValueSize} octets, padded to 8.", nameof(perCpu));
        if (perCpu.Length != BpfObject.PossibleCpus)
            throw new ArgumentException("One value per possible CPU is needed.", nameof(perCpu));
        fixed (T* values = perCpu)
        {
            if (Interop.Bpf.MapLookupElem(_fd, &key, values) != 0) throw BpfException.FromLastError("bpf_map_lookup_elem");
        }
    }
}

/// <summary>A program of a loaded <see cref="BpfObject"/>.</summary>
public sealed class BpfProgram
{
    private readonly BpfObject _owner;
    private readonly int _fd;

    internal BpfProgram(BpfObject owner, int fd)
    {
        _owner = owner;
        _fd = fd;
    }

    /// <summary>Attaches an XDP program to an interface through a BPF link owned by this process.</summary>
    public BpfLink AttachXdp(int interfaceIndex, XdpAttachMode mode)
    {
        _owner.ThrowIfDisposed();
        var options = new Interop.Bpf.BpfLinkCreateOptions
        {
            Size = (nuint)System.Runtime.CompilerServices.Unsafe.SizeOf<Interop.Bpf.BpfLinkCreateOptions>(),
            Flags = (uint)mode,
        };
        int fd = Interop.Bpf.LinkCreate(_fd, interfaceIndex, Interop.Bpf.BpfAttachType.Xdp, in options);
        BpfException.ThrowIfNegative(fd, "bpf_link_create");
        return new BpfLink(new SafeBpfLinkHandle(fd));
    }

    /// <summary>
    /// Runs the program once on <paramref name="input"/> (BPF_PROG_TEST_RUN) and returns its verdict; what it
    /// left in the buffer is copied to <paramref name="output"/>, <paramref name="outputLength"/> octets.
    /// </summary>
    public unsafe uint TestRun(ReadOnlySpan<byte> input, Span<byte> output, out int outputLength)
    {
        _owner.ThrowIfDisposed();
        fixed (byte* dataIn = input)
        fixed (byte* dataOut = output)
        {
            var options = new Interop.Bpf.BpfTestRunOptions
            {
                Size = (nuint)sizeof(Interop.Bpf.BpfTestRunOptions),
                DataIn = dataIn,
                DataSizeIn = (uint)input.Length,
                DataOut = dataOut,
                DataSizeOut = (uint)output.Length,
                Repeat = 1,
            };
            BpfException.ThrowIfNegative(Interop.Bpf.ProgTestRunOpts(_fd, ref options), "bpf_prog_test_run_opts");
            outputLength = (int)options.DataSizeOut;
            return options.ReturnValue;
        }
    }
}

/// <summary>An attachment through a BPF link: disposing it, or the process ending, detaches the program.</summary>
public sealed class BpfLink : IDisposable
{
    private readonly SafeBpfLinkHandle _handle;

    internal BpfLink(SafeBpfLinkHandle handle)
    {
        _handle = handle;
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>A shared mapping of a BPF map's values; writes are seen by the program at once.</summary>
public sealed class BpfMapping : IDisposable
{
    private readonly SafeMappedMemoryHandle _handle;

    internal BpfMapping(SafeMappedMemoryHandle handle, int length)
    {
        _handle = handle;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The value at the start of the mapping, as a reference into shared memory.</summary>
    public unsafe ref T Value<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (sizeof(T) > Length) throw new InvalidOperationException($"{typeof(T).Name} does not fit in {Length} octets.");
        return ref *(T*)_handle.DangerousGetHandle();
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>Interface names to indexes, as the kernel numbers them.</summary>
public static class NetworkInterfaces
{
    /// <summary>The interface's index, or 0 when there is no such interface.</summary>
    public static int IndexOf(string name) => (int)Interop.Libc.IfNameToIndex(name);
}
