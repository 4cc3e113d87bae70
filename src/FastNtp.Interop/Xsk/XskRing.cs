namespace FastNtp.Interop.Xsk;

/// <summary>
/// One AF_XDP ring: a power-of-two array of entries and two free-running 32-bit indices, one written by the
/// producer and one by the consumer, shared with the kernel. Indices only grow and wrap at 2^32; an entry's
/// slot is its index masked by the size, and unsigned subtraction gives the distance across the wrap. The
/// side that owns an index publishes it with a release store after touching the entries, and reads the other
/// side's with an acquire load before touching them, so neither ever sees an entry before it is complete.
/// Each side caches the other's index and rereads it only when the cached view runs out.
/// </summary>
public abstract unsafe class XskRing
{
    private protected readonly uint* ProducerIndex;
    private protected readonly uint* ConsumerIndex;
    private readonly uint* _flags;
    private readonly byte* _entries;
    private readonly uint _mask;
    private protected uint CachedProducer;
    private protected uint CachedConsumer;

    private protected XskRing(uint* producer, uint* consumer, uint* flags, byte* entries, uint size)
    {
        if (size == 0 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), size, "A ring's size is a power of two.");
        ProducerIndex = producer;
        ConsumerIndex = consumer;
        _flags = flags;
        _entries = entries;
        Size = size;
        _mask = size - 1;
    }

    public uint Size { get; }

    /// <summary>Set by the kernel (sockets bound with XDP_USE_NEED_WAKEUP) when it waits for a system call before it looks at this ring again.</summary>
    public bool NeedsWakeup => (Volatile.Read(ref *_flags) & XdpConstants.XDP_RING_NEED_WAKEUP) != 0;

    /// <summary>The RX or TX ring's entry at <paramref name="index"/>.</summary>
    public ref XdpDescriptor Descriptor(uint index) => ref ((XdpDescriptor*)_entries)[index & _mask];

    /// <summary>The fill or completion ring's entry (a frame's UMEM offset) at <paramref name="index"/>.</summary>
    public ref ulong Address(uint index) => ref ((ulong*)_entries)[index & _mask];
}

/// <summary>The side of a ring this process fills: the fill ring (frames for the kernel to receive into) and TX.</summary>
public sealed unsafe class XskProducerRing : XskRing
{
    internal XskProducerRing(uint* producer, uint* consumer, uint* flags, byte* entries, uint size)
        : base(producer, consumer, flags, entries, size)
    {
        CachedProducer = Volatile.Read(ref *producer);
        CachedConsumer = Volatile.Read(ref *consumer) + size;
    }

    /// <summary>Entries the consumer has not yet taken back, as of the latest reread.</summary>
    public uint Free => CachedConsumer - CachedProducer;

    /// <summary>Claims up to <paramref name="wanted"/> entries starting at <paramref name="index"/>; write them, then <see cref="Submit"/>.</summary>
    public uint Reserve(uint wanted, out uint index)
    {
        if (CachedConsumer - CachedProducer < wanted) CachedConsumer = Volatile.Read(ref *ConsumerIndex) + Size;
        uint count = Math.Min(wanted, CachedConsumer - CachedProducer);
        index = CachedProducer;
        CachedProducer += count;
        return count;
    }

    /// <summary>Hands the <paramref name="count"/> oldest reserved entries to the consumer.</summary>
    public void Submit(uint count) => Volatile.Write(ref *ProducerIndex, *ProducerIndex + count);
}

/// <summary>The side of a ring this process drains: RX (received frames) and the completion ring (frames sent).</summary>
public sealed unsafe class XskConsumerRing : XskRing
{
    internal XskConsumerRing(uint* producer, uint* consumer, uint* flags, byte* entries, uint size)
        : base(producer, consumer, flags, entries, size)
    {
        CachedProducer = Volatile.Read(ref *producer);
        CachedConsumer = Volatile.Read(ref *consumer);
    }

    /// <summary>Takes up to <paramref name="wanted"/> ready entries starting at <paramref name="index"/>; read them, then <see cref="Release"/>.</summary>
    public uint Peek(uint wanted, out uint index)
    {
        if (CachedProducer - CachedConsumer < wanted) CachedProducer = Volatile.Read(ref *ProducerIndex);
        uint count = Math.Min(wanted, CachedProducer - CachedConsumer);
        index = CachedConsumer;
        CachedConsumer += count;
        return count;
    }

    /// <summary>Gives the <paramref name="count"/> oldest peeked entries back to the producer.</summary>
    public void Release(uint count) => Volatile.Write(ref *ConsumerIndex, *ConsumerIndex + count);
}
