namespace FastNtp.Interop.Bpf;

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
        nint address = Interop.Libc.Mmap(0, (nuint)length, Interop.Libc.Protection.Read | Interop.Libc.Protection.Write, Interop.Libc.MapMode.Shared, _fd, 0);
        if (address == -1) throw BpfException.FromLastError("mmap");
        return new BpfMapping(new SafeMappedMemoryHandle(address, (nuint)length), length);
    }

    /// <summary>Inserts or replaces one element; the sizes must be the map's key and value sizes.</summary>
    public unsafe void Update<TKey, TValue>(in TKey key, in TValue value) where TKey : unmanaged where TValue : unmanaged
    {
        _owner.ThrowIfDisposed();
        if (sizeof(TValue) != ValueSize)
            throw new ArgumentException($"A value here is {ValueSize} octets, not {sizeof(TValue)}.", nameof(value));
        fixed (TKey* k = &key)
        fixed (TValue* v = &value)
        {
            if (Interop.Bpf.MapUpdateElem(_fd, k, v, 0) != 0) throw BpfException.FromLastError("bpf_map_update_elem");
        }
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

    /// <summary>Sets one 32-bit key to a 32-bit value (an array, hash or XSKMAP entry; an XSKMAP takes a socket descriptor).</summary>
    public unsafe void Update(uint key, uint value)
    {
        _owner.ThrowIfDisposed();
        if (Interop.Bpf.MapUpdateElem(_fd, &key, &value, 0) != 0) throw BpfException.FromLastError("bpf_map_update_elem");
    }
}
