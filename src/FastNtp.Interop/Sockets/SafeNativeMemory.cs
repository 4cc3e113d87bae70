using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

/// <summary>A zeroed, cache-line-aligned native block that never moves, freed when the handle is released.</summary>
internal sealed unsafe class SafeNativeMemory : SafeHandle
{
    public const int Alignment = 64;

    public SafeNativeMemory(nuint size) : base(IntPtr.Zero, ownsHandle: true)
    {
        void* block = NativeMemory.AlignedAlloc(size, Alignment);
        NativeMemory.Clear(block, size);
        SetHandle((IntPtr)block);
        Size = size;
    }

    public nuint Size { get; }

    public byte* Pointer => (byte*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
