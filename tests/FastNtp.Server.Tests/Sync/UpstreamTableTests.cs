using FastNtp.Protocol.Sync;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Tests.Sync;

public class UpstreamTableTests
{
    private static SyncProcess NewProcess() => new(new SyncProcessSettings());

    [Fact]
    public void AddressLiterals_BecomeSourcesWithTheirOwnConnectedSocketsInIdOrder()
    {
        // Connecting a UDP socket sends nothing; these ports need no listener.
        UpstreamSpec[] upstreams = [new("127.0.0.1", 10123, false), new("::1", 10124, false)];
        using var table = new UpstreamTable(upstreams, -2, 3, null, NullLogger.Instance);
        SyncProcess process = NewProcess();

        Assert.True(table.Refresh(process));
        Assert.Equal(2, process.SourceCount);
        Assert.Equal(2, table.Sockets.Count);
        var endpoints = new HashSet<EndPoint>(table.Sockets.Select(s => s.RemoteEndPoint!));
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:10123"), IPEndPoint.Parse("[::1]:10124")], endpoints.OrderBy(e => e.AddressFamily));
        for (int id = 0; id < process.SourceCount; id++)
        {
            Assert.Equal(table.Sockets[id].RemoteEndPoint!.ToString(), process.GetStatus(default)[id].Address);
            Assert.Null(table.NtsOf(id));
        }

        // Resolved once: a second refresh adds nothing.
        Assert.False(table.Refresh(process));
        Assert.Equal(2, process.SourceCount);
    }

    [Fact]
    public void NtsSource_WaitsForItsKeyExchangeBeforeItBecomesASource()
    {
        // Port 1 on loopback refuses the NTS-KE connection at once; the source stays out of the process.
        using var table = new UpstreamTable([new UpstreamSpec("127.0.0.1", 1, true)], -2, 3, null, NullLogger.Instance);
        SyncProcess process = NewProcess();
        Assert.False(table.Refresh(process));
        Assert.Equal(0, process.SourceCount);
        Assert.Empty(table.Sockets);
        (UpstreamSpec spec, int cookies, int exchanges, int authenticated) = Assert.Single(table.NtsState);
        Assert.Equal(new UpstreamSpec("127.0.0.1", 1, true), spec);
        Assert.Equal((0, 0, 0), (cookies, exchanges, authenticated));
    }
}
