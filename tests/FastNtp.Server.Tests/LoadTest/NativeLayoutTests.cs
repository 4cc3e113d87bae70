using System.Net;
using System.Runtime.CompilerServices;
using FastNtp.LoadTest.Native;

namespace FastNtp.Server.Tests.LoadTest;

public class NativeLayoutTests
{
    [Fact]
    public void TimeSpec_IsTwoLongs() => Assert.Equal(16, Unsafe.SizeOf<TimeSpec>());

    [Fact]
    public void EpollEvent_HasTheKernelSize() =>
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 ? 12 : 16,
            Epoll.EventSize);

    [Fact]
    public void SockAddrIn_IsFamilyPortAddress()
    {
        var buffer = new byte[32];
        Assert.Equal(16, SocketConnect.WriteSockAddr(IPEndPoint.Parse("127.0.0.1:12300"), buffer));
        Assert.Equal(new byte[] { 2, 0, 0x30, 0x0C, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, buffer[..16]);
    }

    [Fact]
    public void SockAddrIn6_IsFamilyPortFlowAddressScope()
    {
        var buffer = new byte[32];
        buffer.AsSpan().Fill(0xEE);
        Assert.Equal(28, SocketConnect.WriteSockAddr(IPEndPoint.Parse("[::1]:123"), buffer));
        var expected = new byte[28];
        expected[0] = 10;
        expected[3] = 123;
        expected[23] = 1;
        Assert.Equal(expected, buffer[..28]);
    }
}
