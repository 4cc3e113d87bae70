using System.Net;
using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

/// <summary>
/// A TLS 1.3-only OpenSSL context (SSL_CTX) for one ALPN protocol. Server contexts hold a certificate chain and
/// key from PEM files; client contexts verify peers against a CA file or the system store. Thread-safe: many
/// connections may be created from one context concurrently.
/// </summary>
public sealed class TlsContext : IDisposable
{
    private readonly SafeSslContextHandle _handle;
    private readonly byte[] _alpnWire;

    private TlsContext(SafeSslContextHandle handle, byte[] alpnWire, bool isServer)
    {
        _handle = handle;
        _alpnWire = alpnWire;
        IsServer = isServer;
    }

    public bool IsServer { get; }

    /// <summary>The ALPN protocol every connection must agree on.</summary>
    public string Alpn => System.Text.Encoding.ASCII.GetString(_alpnWire, 1, _alpnWire.Length - 1);

    /// <summary>A server context; throws <see cref="OpenSslException"/> naming the file when the chain or key is unusable.</summary>
    public static unsafe TlsContext CreateServer(string certificateChainPem, string privateKeyPem, string alpn)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificateChainPem);
        ArgumentException.ThrowIfNullOrEmpty(privateKeyPem);
        byte[] wire = AlpnWire(alpn);
        Interop.Crypto.ERR_clear_error();
        SafeSslContextHandle ctx = NewContext(Interop.Ssl.TLS_server_method());
        try
        {
            if (Interop.Ssl.SSL_CTX_use_certificate_chain_file(ctx, certificateChainPem) != 1)
                throw OpenSslException.FromErrorQueue($"cannot load certificate chain '{certificateChainPem}'");
            if (Interop.Ssl.SSL_CTX_use_PrivateKey_file(ctx, privateKeyPem, SslConstants.FiletypePem) != 1)
                throw OpenSslException.FromErrorQueue($"cannot load private key '{privateKeyPem}'");
            if (Interop.Ssl.SSL_CTX_check_private_key(ctx) != 1)
                throw OpenSslException.FromErrorQueue($"private key '{privateKeyPem}' does not match certificate '{certificateChainPem}'");

            // Resumption buys nothing for one request per connection; skipping tickets saves a record per handshake.
            Interop.Ssl.SSL_CTX_set_num_tickets(ctx, 0);

            Interop.Ssl.SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, NativeAlpnWire(wire));
            return new TlsContext(ctx, wire, isServer: true);
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    /// <summary>A client context verifying servers against <paramref name="caFile"/>, or the system store when null.</summary>
    public static TlsContext CreateClient(string? caFile, string alpn)
    {
        byte[] wire = AlpnWire(alpn);
        Interop.Crypto.ERR_clear_error();
        SafeSslContextHandle ctx = NewContext(Interop.Ssl.TLS_client_method());
        try
        {
            int loaded = caFile is null
                ? Interop.Ssl.SSL_CTX_set_default_verify_paths(ctx)
                : Interop.Ssl.SSL_CTX_load_verify_locations(ctx, caFile, null);
            if (loaded != 1)
                throw OpenSslException.FromErrorQueue(caFile is null ? "cannot load the system CA store" : $"cannot load CA file '{caFile}'");
            Interop.Ssl.SSL_CTX_set_verify(ctx, SslConstants.VerifyPeer, 0);
            return new TlsContext(ctx, wire, isServer: false);
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    /// <summary>A new server-side connection.</summary>
    public TlsConnection Accept()
    {
        if (!IsServer) throw new InvalidOperationException("A client context cannot accept connections.");
        return TlsConnection.Create(_handle, server: true, host: null, alpnWire: null);
    }

    /// <summary>A new client-side connection that checks the certificate names <paramref name="host"/> (a DNS name or an IP address).</summary>
    public TlsConnection Connect(string host)
    {
        if (IsServer) throw new InvalidOperationException("A server context cannot connect.");
        ArgumentException.ThrowIfNullOrEmpty(host);
        return TlsConnection.Create(_handle, server: false, host, _alpnWire);
    }

    public void Dispose() => _handle.Dispose();

    private static SafeSslContextHandle NewContext(nint method)
    {
        SafeSslContextHandle ctx = Interop.Ssl.SSL_CTX_new(method);
        if (ctx.IsInvalid)
        {
            ctx.Dispose();
            throw OpenSslException.FromErrorQueue("SSL_CTX_new failed");
        }

        if (Interop.Ssl.SSL_CTX_ctrl(ctx, SslConstants.CtrlSetMinProtoVersion, SslConstants.Tls13Version, 0) != 1 ||
            Interop.Ssl.SSL_CTX_ctrl(ctx, SslConstants.CtrlSetMaxProtoVersion, SslConstants.Tls13Version, 0) != 1)
        {
            ctx.Dispose();
            throw OpenSslException.FromErrorQueue("cannot restrict the context to TLS 1.3");
        }

        return ctx;
    }

    private static byte[] AlpnWire(string alpn)
    {
        ArgumentException.ThrowIfNullOrEmpty(alpn);
        if (alpn.Length > 255) throw new ArgumentException("An ALPN protocol name is at most 255 octets.", nameof(alpn));
        byte[] wire = new byte[alpn.Length + 1];
        wire[0] = (byte)alpn.Length;
        for (int i = 0; i < alpn.Length; i++)
        {
            if (alpn[i] > 0x7E) throw new ArgumentException("The ALPN protocol name must be ASCII.", nameof(alpn));
            wire[i + 1] = (byte)alpn[i];
        }

        return wire;
    }

    /// <summary>
    /// The server's ALPN choice: our single protocol if the client offered it, otherwise a fatal
    /// no_application_protocol alert, as RFC 8915 requires.
    /// </summary>
    [UnmanagedCallersOnly]
    private static unsafe int SelectAlpn(nint ssl, byte** output, byte* outputLength, byte* offered, uint offeredLength, void* arg)
    {
        byte* ours = (byte*)arg;
        var wanted = new ReadOnlySpan<byte>(ours + 1, ours[0]);
        uint i = 0;
        while (i < offeredLength)
        {
            byte length = offered[i];
            if (i + 1 + length > offeredLength) break;
            if (new ReadOnlySpan<byte>(offered + i + 1, length).SequenceEqual(wanted))
            {
                *output = offered + i + 1;
                *outputLength = length;
                return SslConstants.TlsextErrOk;
            }

            i += 1u + length;
        }

        return SslConstants.TlsextErrAlertFatal;
    }

    /// <summary>
    /// A native copy of an ALPN list for the select callback. Copies live for the whole process: an SSL object
    /// keeps its SSL_CTX (and so the callback argument) alive past our handle, and a server uses one or two lists.
    /// </summary>
    private static unsafe byte* NativeAlpnWire(byte[] wire)
    {
        string key = Convert.ToHexString(wire);
        nint copy = NativeAlpnLists.GetOrAdd(key, static (_, w) =>
        {
            byte* p = (byte*)NativeMemory.Alloc((nuint)w.Length);
            w.CopyTo(new Span<byte>(p, w.Length));
            return (nint)p;
        }, wire);
        return (byte*)copy;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, nint> NativeAlpnLists = new();

    internal static bool IsIpAddress(string host) => IPAddress.TryParse(host, out _);
}
