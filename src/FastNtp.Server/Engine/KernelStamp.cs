using FastNtp.Interop.Sockets;
using FastNtp.Server.Timestamping;

namespace FastNtp.Server.Engine;

/// <summary>Which of the kernel's stamps of a packet (SCM_TIMESTAMPING) becomes its time.</summary>
internal static class KernelStamp
{
    /// <summary>
    /// The NIC's stamp (ts[2]) in system time when the PHC of the interface that took it is tracked, else the
    /// kernel's software stamp (ts[0]); false when neither is there (a NIC stamp alone that cannot be converted).
    /// </summary>
    /// <param name="knownInterface">
    /// The stamping interface when the message does not name it: transmit stamps (OPT_TSONLY) carry no
    /// SCM_TIMESTAMPING_PKTINFO, so a reply's is the interface its request was stamped on, where it leaves again.
    /// </param>
    /// <param name="stampingInterface">The interface whose NIC stamped the packet; 0 when none did.</param>
    public static bool TryRead(
        PacketBatch batch, int slot, HardwareClocks? hardware, int knownInterface, out long unixNanoseconds, out int stampingInterface)
    {
        stampingInterface = 0;
        if (hardware is not null && batch.TryGetHardwareTimestamp(slot, out long phcNanoseconds, out int named))
        {
            stampingInterface = named != 0 ? named : knownInterface;
            if (hardware.TryToSystem(stampingInterface, phcNanoseconds, out unixNanoseconds)) return true;
        }

        return batch.TryGetKernelTimestamp(slot, out unixNanoseconds);
    }
}
