using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop.Tests.OpenSsl;

public sealed class TlsConnectionTests(TestPkiFixture fixture) : IClassFixture<TestPkiFixture>
{
    private readonly TestPki _pki = fixture.Pki;

    /// <summary>Moves bytes between two memory-BIO connections until both handshakes settle (bounded).</summary>
    private static (TlsStatus Client, TlsStatus Server) Pump(TlsConnection client, TlsConnection server)
    {
        byte[] buffer = new byte[16384];
        TlsStatus c = TlsStatus.WantRead, s = TlsStatus.WantRead;
        for (int round = 0; round < 20; round++)
        {
            if (c == TlsStatus.WantRead) c = client.Handshake();
            int n;
            while ((n = client.ReadOutgoing(buffer)) > 0) server.WriteIncoming(buffer.AsSpan(0, n));
            if (s == TlsStatus.WantRead) s = server.Handshake();
            while ((n = server.ReadOutgoing(buffer)) > 0) client.WriteIncoming(buffer.AsSpan(0, n));
            if (c != TlsStatus.WantRead && s != TlsStatus.WantRead) break;
        }

        return (c, s);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public void Handshake_AgreesOnTls13AlpnAndExportedKeys(string host)
    {
        using var serverContext = TlsContext.CreateServer(_pki.ServerCert, _pki.ServerKey, "ntske/1");
        using var clientContext = TlsContext.CreateClient(_pki.CaCert, "ntske/1");
        using TlsConnection server = serverContext.Accept();
        using TlsConnection client = clientContext.Connect(host);

        Assert.Equal((TlsStatus.Ok, TlsStatus.Ok), Pump(client, server));
        Assert.Equal(0x0304, client.ProtocolVersion);
        Assert.Equal("ntske/1", server.NegotiatedAlpn);
        Assert.Equal("ntske/1", client.NegotiatedAlpn);
        Assert.Equal(0, client.VerifyResult);

        byte[] context = [0, 0, 0, 15, 0];
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        Assert.True(client.ExportKeyingMaterial("EXPORTER-network-time-security", context, a));
        Assert.True(server.ExportKeyingMaterial("EXPORTER-network-time-security", context, b));
        Assert.Equal(a, b);
        Assert.NotEqual(new byte[32], a);
        context[4] = 1;
        Assert.True(server.ExportKeyingMaterial("EXPORTER-network-time-security", context, b));
        Assert.NotEqual(a, b);

        // Application data flows both ways.
        Assert.Equal(TlsStatus.Ok, client.Write("hello"u8));
        byte[] buffer = new byte[4096];
        server.WriteIncoming(buffer.AsSpan(0, client.ReadOutgoing(buffer)));
        Assert.Equal(TlsStatus.Ok, server.Read(buffer, out int read));
        Assert.Equal("hello"u8.ToArray(), buffer[..read]);
    }

    [Fact]
    public void Server_RefusesClientsWithoutItsAlpn()
    {
        using var serverContext = TlsContext.CreateServer(_pki.ServerCert, _pki.ServerKey, "ntske/1");
        using var clientContext = TlsContext.CreateClient(_pki.CaCert, "http/1.1");
        using TlsConnection server = serverContext.Accept();
        using TlsConnection client = clientContext.Connect("localhost");
        (TlsStatus c, TlsStatus s) = Pump(client, server);
        Assert.Equal(TlsStatus.Failed, s);
        Assert.Equal(TlsStatus.Failed, c);
        Assert.Contains("no application protocol", client.LastError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Client_RejectsUntrustedOrMisnamedServers()
    {
        using var serverContext = TlsContext.CreateServer(_pki.ServerCert, _pki.ServerKey, "ntske/1");
        using var otherPki = new TestPki();
        using (var untrusting = TlsContext.CreateClient(otherPki.CaCert, "ntske/1"))
        using (TlsConnection server = serverContext.Accept())
        using (TlsConnection client = untrusting.Connect("localhost"))
        {
            Assert.Equal(TlsStatus.Failed, Pump(client, server).Client);
            Assert.Contains("certificate verification", client.LastError, StringComparison.Ordinal);
        }

        using var clientContext = TlsContext.CreateClient(_pki.CaCert, "ntske/1");
        using TlsConnection server2 = serverContext.Accept();
        using TlsConnection misnamed = clientContext.Connect("time.example.org");
        Assert.Equal(TlsStatus.Failed, Pump(misnamed, server2).Client);
        Assert.NotEqual(0, misnamed.VerifyResult);
    }

    [Fact]
    public void BadFiles_GiveClearErrors()
    {
        OpenSslException e = Assert.Throws<OpenSslException>(() => TlsContext.CreateServer("/nonexistent/cert.pem", _pki.ServerKey, "ntske/1"));
        Assert.Contains("/nonexistent/cert.pem", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<OpenSslException>(() => TlsContext.CreateServer(_pki.ServerCert, _pki.CaKey, "ntske/1"));
        Assert.Contains(_pki.CaKey, e.Message, StringComparison.Ordinal);
        Assert.Throws<OpenSslException>(() => TlsContext.CreateClient("/nonexistent/ca.pem", "ntske/1"));
    }
}
