using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Server;
using FastNtp.Server.Hosting;
using FastNtp.Tests.Shared;

namespace FastNtp.Server.Tests.Nts;

/// <summary>One <see cref="Responder"/> behind a loopback UDP socket, standing in for the packet engine.</summary>
public sealed class LoopbackNtpServer : IDisposable
{
    private readonly LoopbackUdpServer _udp;

    public LoopbackNtpServer(Responder responder)
    {
        var clock = new RealtimeClock();
        var snapshot = ServerSnapshot.LocalClock(1, -20, clock.Now());
        // One server thread calls the answer callback, so one response buffer serves every request.
        byte[] response = new byte[2048];
        _udp = new LoopbackUdpServer((request, from) =>
        {
            NtpTimestamp receiveTime = clock.Now();
            ResponderResult result = responder.Handle(request, new RequestInfo(receiveTime, (ushort)from.Port), snapshot, response, ref clock);
            return result.ShouldRespond ? [response[..result.Length]] : [];
        });
    }

    public int Port => _udp.Port;

    public void Dispose() => _udp.Dispose();
}
