using System.IO.Pipelines;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop.Tests.OpenSsl;

/// <summary>Two TLS pipes joined by in-memory pipes: handshake, plaintext both ways, close_notify, the same exporter output.</summary>
public sealed class TlsDuplexPipeTests(TestPkiFixture fixture) : IClassFixture<TestPkiFixture>
{
    private readonly TestPki _pki = fixture.Pki;

    private sealed record Transport(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken token)
    {
        var all = new List<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync(token);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer) all.AddRange(segment.ToArray());
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) return [.. all];
        }
    }

    [Fact]
    public async Task Plaintext_CrossesBothWaysAndCloseNotifyEndsTheStream()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var serverContext = TlsContext.CreateServer(_pki.ServerCert, _pki.ServerKey, "ntske/1");
        using var clientContext = TlsContext.CreateClient(_pki.CaCert, "ntske/1");
        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var server = new TlsDuplexPipe(serverContext.Accept(), new Transport(toServer.Reader, toClient.Writer));
        await using var client = new TlsDuplexPipe(clientContext.Connect("127.0.0.1"), new Transport(toClient.Reader, toServer.Writer));

        bool[] handshakes = await Task.WhenAll(server.HandshakeAsync(timeout.Token).AsTask(), client.HandshakeAsync(timeout.Token).AsTask());
        Assert.Equal([true, true], handshakes);
        Assert.Equal("ntske/1", server.NegotiatedAlpn);

        byte[] request = [.. Enumerable.Range(0, 10_000).Select(i => (byte)i)];
        await client.Output.WriteAsync(request, timeout.Token);
        // Close at once: the request and close_notify reach the server in one read, with the end of the stream.
        await client.CloseAsync(timeout.Token);
        Assert.Equal(request, await ReadToEndAsync(server.Input, timeout.Token));

        await server.Output.WriteAsync("answer"u8.ToArray(), timeout.Token);
        await server.CloseAsync(timeout.Token);
        Assert.Equal("answer"u8.ToArray(), await ReadToEndAsync(client.Input, timeout.Token));

        byte[] context = [0, 0, 0, 15, 0];
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        Assert.True(server.ExportKeyingMaterial("EXPORTER-network-time-security", context, a));
        Assert.True(client.ExportKeyingMaterial("EXPORTER-network-time-security", context, b));
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task GarbageFromThePeer_FailsTheHandshakeWithoutThrowing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var serverContext = TlsContext.CreateServer(_pki.ServerCert, _pki.ServerKey, "ntske/1");
        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var server = new TlsDuplexPipe(serverContext.Accept(), new Transport(toServer.Reader, toClient.Writer));
        await toServer.Writer.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), timeout.Token);
        Assert.False(await server.HandshakeAsync(timeout.Token));
        Assert.NotNull(server.LastError);

        // A peer that closes before saying anything is a closed handshake, not an error.
        var silent = new Pipe();
        await using var other = new TlsDuplexPipe(serverContext.Accept(), new Transport(silent.Reader, new Pipe().Writer));
        await silent.Writer.CompleteAsync();
        Assert.False(await other.HandshakeAsync(timeout.Token));
        Assert.Null(other.LastError);
    }
}
