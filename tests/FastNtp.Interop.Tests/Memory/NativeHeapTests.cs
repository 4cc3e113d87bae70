using FastNtp.Interop.Memory;

namespace FastNtp.Interop.Tests.Memory;

public sealed unsafe class NativeHeapTests
{
    /// <summary>
    /// What a burst leaves in a thread's arena: many small blocks freed while one later block stays, so the free
    /// space is not at the heap's top and free() keeps it; malloc_trim gives it back.
    /// </summary>
    [Fact]
    public void Trim_ReturnsMemoryFreedInsideAnArena()
    {
        bool released = false;
        var thread = new Thread(() =>
        {
            nint[] blocks = new nint[4096];
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i] = (nint)NativeMemory.Alloc(8192);
                new Span<byte>((void*)blocks[i], 8192).Fill(1);
            }

            for (int i = 0; i < blocks.Length - 1; i++) NativeMemory.Free((void*)blocks[i]);
            released = NativeHeap.Trim();
            NativeMemory.Free((void*)blocks[^1]);
        });
        thread.Start();
        thread.Join();

        Assert.True(released);
    }
}
