using System.Buffers.Binary;
using static FastNtp.Interop.Interop.Libc;

namespace FastNtp.Interop.Tests.Sockets;

/// <summary>The reuseport steering program, checked by a small cBPF interpreter here and by the kernel on loopback.</summary>
public class ReusePortSteeringTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public void CbpfStructs_MatchTheLp64Abi()
    {
        Assert.Equal(8, Unsafe.SizeOf<SockFilter>());
        Assert.Equal(0, (int)Marshal.OffsetOf<SockFilter>(nameof(SockFilter.Code)));
        Assert.Equal(2, (int)Marshal.OffsetOf<SockFilter>(nameof(SockFilter.JumpTrue)));
        Assert.Equal(3, (int)Marshal.OffsetOf<SockFilter>(nameof(SockFilter.JumpFalse)));
        Assert.Equal(4, (int)Marshal.OffsetOf<SockFilter>(nameof(SockFilter.K)));
        Assert.Equal(16, Unsafe.SizeOf<SockFprog>());
        Assert.Equal(0, (int)Marshal.OffsetOf<SockFprog>(nameof(SockFprog.Length)));
        Assert.Equal(8, (int)Marshal.OffsetOf<SockFprog>(nameof(SockFprog.Filter)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(48)]
    [InlineData(61)]
    [InlineData(128)]
    public void Ipv6SourcesInOnePrefix_GoToOneSocketAndPrefixesSpread(int prefix)
    {
        SockFilter[] program = ReusePortSteering.Build(4, prefix);
        var random = new Random(prefix);
        int[] counts = new int[4];
        byte[] source = new byte[16];
        for (int i = 0; i < 8_000; i++)
        {
            random.NextBytes(source);
            int index = Cbpf.Run(program, Ipv6Header(source));
            counts[index]++;
            // Any address sharing the prefix lands on the same socket.
            byte[] sibling = (byte[])source.Clone();
            for (int bit = prefix; bit < 128; bit++)
            {
                if (random.Next(2) == 0) sibling[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            }

            Assert.Equal(index, Cbpf.Run(program, Ipv6Header(sibling)));
        }

        Assert.All(counts, c => Assert.InRange(c, 1_700, 2_300));
    }

    [Fact]
    public void Ipv6SourcesInDifferentPrefixes_AreToldApart()
    {
        SockFilter[] program = ReusePortSteering.Build(16, 64);
        var seen = new HashSet<int>();
        for (int site = 0; site < 64; site++)
        {
            byte[] source = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(source, 0x2001_0db8_0000_0000UL | (uint)site);
            seen.Add(Cbpf.Run(program, Ipv6Header(source)));
        }

        Assert.True(seen.Count >= 12, $"64 sites reached only {seen.Count} of 16 sockets");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Ipv4Sources_SpreadEvenlyAndAlwaysWithinTheGroup(int groupSize)
    {
        SockFilter[] program = ReusePortSteering.Build(groupSize, 64);
        int[] counts = new int[groupSize];
        for (uint address = 0; address < 16_000; address++)
        {
            counts[Cbpf.Run(program, Ipv4Header(0x0A00_0000 + address * 7919))]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 16_000 / groupSize * 85 / 100, 16_000 / groupSize * 115 / 100));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Kernel_SendsEachSourceAddressToOneSocketOfTheGroup(string listen)
    {
        const int groupSize = 4;
        const int sources = 24;
        var sockets = new List<UdpBatchSocket>();
        try
        {
            sockets.Add(UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Parse(listen), 0), 1 << 20, Timeout, ServerSocketRole.FirstOfGroup));
            IPEndPoint server = sockets[0].LocalEndPoint;
            for (int i = 1; i < groupSize; i++) sockets.Add(UdpBatchSocket.OpenServer(server, 1 << 20, Timeout));
            sockets[^1].SteerBySourceAddress(groupSize, 64);

            // Three client sockets (three source ports) on each of 24 loopback addresses, two datagrams each.
            var target = new IPEndPoint(IPAddress.Loopback, server.Port);
            int sent = 0;
            for (int n = 1; n <= sources; n++)
            {
                for (int port = 0; port < 3; port++)
                {
                    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    client.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{n}"), 0));
                    client.SendTo(new byte[48], target);
                    client.SendTo(new byte[48], target);
                    sent += 2;
                }
            }

            var landed = new Dictionary<IPAddress, HashSet<int>>();
            int received = 0;
            using var batch = new PacketBatch(64);
            long deadline = Environment.TickCount64 + 5_000;
            while (received < sent && Environment.TickCount64 < deadline)
            {
                for (int s = 0; s < groupSize; s++)
                {
                    int n = sockets[s].Receive(batch, batch.Capacity, ReceiveWait.NoWait, out _);
                    for (int i = 0; i < n; i++)
                    {
                        // The allocation-free address (what the policy is keyed by) agrees with the endpoint.
                        var source = new IPAddress(batch.GetRemoteAddress(i));
                        Assert.Equal(batch.GetRemoteEndPoint(i).Address, source);
                        Assert.Equal(listen.StartsWith("::", StringComparison.Ordinal) ? 16 : 4, batch.GetRemoteAddress(i).Length);
                        if (source.IsIPv4MappedToIPv6) source = source.MapToIPv4();
                        if (!landed.TryGetValue(source, out HashSet<int>? set)) landed[source] = set = [];
                        set.Add(s);
                        received++;
                    }
                }
            }

            Assert.Equal(sent, received);
            Assert.Equal(sources, landed.Count);
            Assert.All(landed, pair => Assert.True(pair.Value.Count == 1, $"{pair.Key} reached sockets {string.Join(',', pair.Value)}"));
            int used = landed.Values.Select(set => set.Single()).Distinct().Count();
            Assert.True(used >= 3, $"{sources} sources reached only {used} of {groupSize} sockets");
        }
        finally
        {
            foreach (UdpBatchSocket socket in sockets) socket.Dispose();
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void SecondServerOnAServedAddress_IsRefusedWhileTheFirstServersWorkersShareIt(string listen)
    {
        using var first = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Parse(listen), 0), 0, Timeout, ServerSocketRole.FirstOfGroup);
        IPEndPoint address = first.LocalEndPoint;
        using var worker = UdpBatchSocket.OpenServer(address, 0, Timeout);
        using var worker2 = UdpBatchSocket.OpenServer(address, 0, Timeout);

        AddressInUseException refused = Assert.Throws<AddressInUseException>(
            () => UdpBatchSocket.OpenServer(address, 0, Timeout, ServerSocketRole.FirstOfGroup));
        Assert.Equal(address, refused.EndPoint);
        Assert.Contains(address.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Contains("already served by another process", refused.Message, StringComparison.Ordinal);

        // The workers of the first server really share the port: traffic reaches the group.
        using var client = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        client.SendTo(new byte[48], address);
        using var batch = new PacketBatch(1);
        int total = 0;
        long deadline = Environment.TickCount64 + 2_000;
        while (total == 0 && Environment.TickCount64 < deadline)
        {
            foreach (UdpBatchSocket socket in new[] { first, worker, worker2 })
                total += Math.Max(0, socket.Receive(batch, 1, ReceiveWait.NoWait, out _));
        }

        Assert.Equal(1, total);
    }

    [Fact]
    public void FirstServerGone_LeavesItsAddressFreeAgain()
    {
        using var first = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, 0), 0, Timeout, ServerSocketRole.FirstOfGroup);
        int port = first.LocalEndPoint.Port;
        using var worker = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, port), 0, Timeout);
        first.Dispose();
        worker.Dispose();
        // Once the first server is gone the address is free for a new one.
        using var again = UdpBatchSocket.OpenServer(new IPEndPoint(IPAddress.Loopback, port), 0, Timeout, ServerSocketRole.FirstOfGroup);
        Assert.Equal(port, again.LocalEndPoint.Port);
    }

    private static byte[] Ipv4Header(uint source)
    {
        byte[] header = new byte[20];
        header[0] = 0x45;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), source);
        return header;
    }

    private static byte[] Ipv6Header(byte[] source)
    {
        byte[] header = new byte[40];
        header[0] = 0x60;
        source.CopyTo(header, 8);
        return header;
    }

    /// <summary>Just enough of a classic BPF interpreter for the steering program: loads go through SKF_NET_OFF.</summary>
    private static class Cbpf
    {
        private const int SkfNetOff = -0x100000;

        public static int Run(SockFilter[] program, byte[] networkHeader)
        {
            uint a = 0, x = 0;
            for (int pc = 0; pc < program.Length; pc++)
            {
                SockFilter op = program[pc];
                switch (op.Code)
                {
                    case 0x30: a = networkHeader[Offset(op.K)]; break;                                  // ldb [k]
                    case 0x20: a = BinaryPrimitives.ReadUInt32BigEndian(networkHeader.AsSpan(Offset(op.K))); break; // ld [k]
                    case 0x74: a >>= (int)op.K; break;                                                     // rsh #k
                    case 0x24: a *= op.K; break;                                                           // mul #k
                    case 0x54: a &= op.K; break;                                                           // and #k
                    case 0xAC: a ^= x; break;                                                              // xor x
                    case 0x94: a %= op.K; break;                                                           // mod #k
                    case 0x07: x = a; break;                                                               // tax
                    case 0x05: pc += (int)op.K; break;                                                     // ja
                    case 0x15: pc += a == op.K ? op.JumpTrue : op.JumpFalse; break;                        // jeq #k
                    case 0x16: return (int)a;                                                              // ret a
                    default: throw new InvalidOperationException($"opcode 0x{op.Code:X2} is not expected in the program");
                }
            }

            throw new InvalidOperationException("the program fell off its end");
        }

        private static int Offset(uint k) => unchecked((int)k) - SkfNetOff;
    }
}
