using FastNtp.Interop.Xsk;

namespace FastNtp.Interop.Tests.Xsk;

/// <summary>
/// Ring arithmetic without a kernel: both sides of one ring over ordinary memory, this process playing the
/// kernel's side too, with the free-running indices started just below 2^32 so every test crosses the wrap.
/// </summary>
public sealed unsafe class XskRingTests : IDisposable
{
    private const uint Size = 8;
    // producer, consumer, flags, then the entries (16-octet descriptors, the larger entry kind).
    private readonly uint* _indices = (uint*)NativeMemory.AllocZeroed(16);
    private readonly byte* _entries = (byte*)NativeMemory.AllocZeroed(Size * 16);

    private uint* Producer => _indices;
    private uint* Consumer => _indices + 1;
    private uint* Flags => _indices + 2;

    private XskProducerRing ProducerSide() => new(Producer, Consumer, Flags, _entries, Size);

    private XskConsumerRing ConsumerSide() => new(Producer, Consumer, Flags, _entries, Size);

    private void StartAt(uint index)
    {
        *Producer = index;
        *Consumer = index;
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(uint.MaxValue - 3)]
    [InlineData(uint.MaxValue)]
    public void EntriesPassInOrder_AcrossTheWrap(uint start)
    {
        StartAt(start);
        XskProducerRing producer = ProducerSide();
        XskConsumerRing consumer = ConsumerSide();
        ulong sent = 0, received = 0;
        for (int round = 0; round < 100; round++)
        {
            uint reserved = producer.Reserve((uint)(round % 5) + 1, out uint index);
            for (uint i = 0; i < reserved; i++) producer.Address(index + i) = ++sent;
            producer.Submit(reserved);

            uint ready = consumer.Peek((uint)(round % 3) + 1, out uint first);
            for (uint i = 0; i < ready; i++) Assert.Equal(++received, consumer.Address(first + i));
            consumer.Release(ready);
        }

        // Drain what is left: every entry arrives once, in order.
        uint rest = consumer.Peek(Size, out uint last);
        for (uint i = 0; i < rest; i++) Assert.Equal(++received, consumer.Address(last + i));
        consumer.Release(rest);
        Assert.Equal(sent, received);
        Assert.True(sent > 100);
        Assert.Equal(*Producer, *Consumer);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(uint.MaxValue - 2)]
    public void Producer_NeverOverrunsTheConsumer(uint start)
    {
        StartAt(start);
        XskProducerRing producer = ProducerSide();
        XskConsumerRing consumer = ConsumerSide();

        Assert.Equal(Size, producer.Reserve(Size + 5, out _));
        producer.Submit(Size);
        Assert.Equal(0u, producer.Reserve(1, out _));
        Assert.Equal(0u, producer.Free);

        // Room comes back only as the consumer releases, and the producer sees it on its next reserve.
        Assert.Equal(3u, consumer.Peek(3, out _));
        consumer.Release(3);
        Assert.Equal(3u, producer.Reserve(Size, out uint index));
        Assert.Equal(start + Size, index);
        producer.Submit(3);
        Assert.Equal(start + Size + 3, *Producer);
    }

    [Fact]
    public void Consumer_SeesOnlyPublishedEntries()
    {
        StartAt(uint.MaxValue - 1);
        XskProducerRing producer = ProducerSide();
        XskConsumerRing consumer = ConsumerSide();

        Assert.Equal(4u, producer.Reserve(4, out uint index));
        Assert.Equal(0u, consumer.Peek(4, out _));
        producer.Address(index) = 7;
        producer.Address(index + 1) = 8;
        producer.Submit(2);
        Assert.Equal(2u, consumer.Peek(4, out uint first));
        Assert.Equal(uint.MaxValue - 1, first);
        Assert.Equal(7ul, consumer.Address(first));
        Assert.Equal(8ul, consumer.Address(first + 1));
        Assert.Equal(0u, consumer.Peek(4, out _));
        producer.Submit(2);
        Assert.Equal(2u, consumer.Peek(4, out uint next));
        Assert.Equal(0u, next);
    }

    [Fact]
    public void DescriptorSlots_WrapWithTheMask()
    {
        StartAt(uint.MaxValue);
        XskProducerRing producer = ProducerSide();
        Assert.Equal(2u, producer.Reserve(2, out uint index));
        producer.Descriptor(index) = new XdpDescriptor { Address = 4096, Length = 90 };
        producer.Descriptor(index + 1) = new XdpDescriptor { Address = 8192, Length = 110 };

        // Index 2^32 - 1 is slot 7, and the next one (0 after the wrap) is slot 0.
        Assert.Equal(4096ul, ((XdpDescriptor*)_entries)[Size - 1].Address);
        Assert.Equal(110u, ((XdpDescriptor*)_entries)[0].Length);
    }

    [Fact]
    public void NeedsWakeup_FollowsTheFlag()
    {
        XskProducerRing producer = ProducerSide();
        Assert.False(producer.NeedsWakeup);
        *Flags = XdpConstants.XDP_RING_NEED_WAKEUP;
        Assert.True(producer.NeedsWakeup);
    }

    [Fact]
    public void Size_MustBeAPowerOfTwo() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new XskConsumerRing(Producer, Consumer, Flags, _entries, 6));

    public void Dispose()
    {
        NativeMemory.Free(_indices);
        NativeMemory.Free(_entries);
    }
}
