using static FastNtp.Interop.Interop.Libc;

namespace FastNtp.Interop.Sockets;

/// <summary>
/// Builds the classic BPF program that steers every datagram from one client to the same socket of a
/// SO_REUSEPORT group: a hash of the source address (IPv4), or of its first <c>prefixLength</c> bits (IPv6,
/// matching the rate limiter's grouping), modulo the group size. With each client on one worker, per-worker
/// rate-limit tables are exact without any sharing between workers.
/// </summary>
/// <remarks>
/// For UDP the kernel runs a reuseport program with the packet data starting after the UDP header
/// (net/core/sock_reuseport.c pulls the transport header first), so the program reads the IP header
/// through the SKF_NET_OFF window, which addresses the network header whatever the data pointer is.
/// IPv4 datagrams on a dual-stack IPv6 socket carry an IPv4 header, so the program tests the version
/// nibble rather than the socket's family. Source port and destination play no part.
/// </remarks>
internal static class ReusePortSteering
{
    // linux/bpf_common.h and linux/filter.h.
    private const ushort BPF_LD = 0x00, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
    private const ushort BPF_W = 0x00, BPF_B = 0x10, BPF_ABS = 0x20;
    private const ushort BPF_MUL = 0x20, BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOD = 0x90, BPF_XOR = 0xA0;
    private const ushort BPF_JA = 0x00, BPF_JEQ = 0x10;
    private const ushort BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
    private const ushort BPF_TAX = 0x00;
    private const int SKF_NET_OFF = -0x100000;

    private const int Ipv4SourceOffset = 12;
    private const int Ipv6SourceOffset = 8;
    /// <summary>2^32 / φ: Fibonacci hashing spreads the high bits of the product well.</summary>
    private const uint Multiplier = 0x9E37_79B1;

    /// <param name="groupSize">Sockets in the group, 1 to 65535.</param>
    /// <param name="ipv6PrefixLength">Leading IPv6 source bits hashed, 1 to 128.</param>
    public static SockFilter[] Build(int groupSize, int ipv6PrefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(groupSize, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(ipv6PrefixLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6PrefixLength, 128);

        var ipv6 = new List<SockFilter>();
        int words = (ipv6PrefixLength + 31) / 32;
        for (int word = 0; word < words; word++)
        {
            if (word > 0) ipv6.Add(Op(BPF_MISC | BPF_TAX));
            ipv6.Add(Op(BPF_LD | BPF_W | BPF_ABS, Net(Ipv6SourceOffset + 4 * word)));
            int bits = Math.Min(32, ipv6PrefixLength - 32 * word);
            if (bits < 32) ipv6.Add(Op(BPF_ALU | BPF_AND | BPF_K, uint.MaxValue << (32 - bits)));
            if (word > 0) ipv6.Add(Op(BPF_ALU | BPF_XOR | BPF_X));
            ipv6.Add(Op(BPF_ALU | BPF_MUL | BPF_K, Multiplier));
        }

        SockFilter[] ipv4 =
        [
            Op(BPF_LD | BPF_W | BPF_ABS, Net(Ipv4SourceOffset)),
            Op(BPF_ALU | BPF_MUL | BPF_K, Multiplier),
            Op(BPF_JMP | BPF_JA, (uint)ipv6.Count),
        ];

        var program = new List<SockFilter>
        {
            Op(BPF_LD | BPF_B | BPF_ABS, Net(0)),
            Op(BPF_ALU | BPF_RSH | BPF_K, 4),
            new() { Code = BPF_JMP | BPF_JEQ | BPF_K, K = 6, JumpTrue = (byte)ipv4.Length, JumpFalse = 0 },
        };
        program.AddRange(ipv4);
        program.AddRange(ipv6);
        program.Add(Op(BPF_ALU | BPF_RSH | BPF_K, 16));
        program.Add(Op(BPF_ALU | BPF_MOD | BPF_K, (uint)groupSize));
        program.Add(Op(BPF_RET | BPF_A));
        return [.. program];
    }

    private static uint Net(int offset) => unchecked((uint)(SKF_NET_OFF + offset));

    private static SockFilter Op(int code, uint k = 0) => new() { Code = (ushort)code, K = k };
}
