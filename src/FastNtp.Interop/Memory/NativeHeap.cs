namespace FastNtp.Interop.Memory;

/// <summary>
/// The C library's malloc heap. glibc keeps what native code (the runtime, OpenSSL, the socket layer) frees in its
/// per-thread arenas for reuse and returns to the kernel only what lies at the top of a heap; after a burst of
/// connections most of an arena is free but still resident. <see cref="Trim"/> hands those pages back.
/// </summary>
public static class NativeHeap
{
    private static bool _unsupported;

    /// <summary>
    /// Returns the free memory of every arena to the kernel (glibc's malloc_trim). True when some was released;
    /// false when there was none, or the C library has no malloc_trim (musl).
    /// </summary>
    public static bool Trim()
    {
        if (_unsupported || !OperatingSystem.IsLinux()) return false;
        try
        {
            return Interop.Libc.MallocTrim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            _unsupported = true;
            return false;
        }
    }
}
