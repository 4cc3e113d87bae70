namespace FastNtp.Interop.Bpf;

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
