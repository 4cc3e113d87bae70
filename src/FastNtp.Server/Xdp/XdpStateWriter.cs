using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Server;

namespace FastNtp.Server.Xdp;

/// <summary>
/// Writes the server state into the program's shared map. A snapshot goes into the slot the generation does
/// not name, then the generation moves on (a release store), so the program reads whole snapshots only. The
/// heartbeat tells the program the writer is alive; without it the program stops answering.
/// </summary>
public sealed class XdpStateWriter : IDisposable
{
    private readonly BpfMapping _mapping;
    private readonly Lock _lock = new();

    internal XdpStateWriter(BpfMapping mapping)
    {
        _mapping = mapping;
    }

    /// <summary>Publishes a snapshot and the kernel's TAI−UTC offset, then beats: the program may answer from it.</summary>
    public void Publish(ServerSnapshot snapshot, long taiOffsetNanoseconds, long taiNowNanoseconds)
    {
        lock (_lock)
        {
            ref XdpState state = ref _mapping.Value<XdpState>();
            ulong generation = Volatile.Read(ref state.Generation);
            state.Slots[(int)((generation + 1) & 1)] = XdpSlot.From(snapshot);
            Volatile.Write(ref state.Generation, generation + 1);
            Volatile.Write(ref state.TaiOffsetNanoseconds, taiOffsetNanoseconds);
            Volatile.Write(ref state.HeartbeatTaiNanoseconds, (ulong)taiNowNanoseconds);
        }
    }

    /// <summary>TAI − UTC as last published: the offset the program converts its CLOCK_TAI stamps with.</summary>
    public long TaiOffsetNanoseconds => Volatile.Read(ref _mapping.Value<XdpState>().TaiOffsetNanoseconds);

    /// <summary>Tells the program that the current slot is still the server's state as of <paramref name="taiNowNanoseconds"/>.</summary>
    public void Beat(long taiNowNanoseconds)
    {
        lock (_lock)
        {
            Volatile.Write(ref _mapping.Value<XdpState>().HeartbeatTaiNanoseconds, (ulong)taiNowNanoseconds);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _mapping.Dispose();
        }
    }
}
