using System.Runtime.InteropServices;
using System.Text;

namespace FastNtp.Interop.OpenSsl;

public enum TlsStatus : byte
{
    /// <summary>The operation finished.</summary>
    Ok,
    /// <summary>OpenSSL needs more bytes from the peer: feed <see cref="TlsConnection.WriteIncoming"/>, then retry.</summary>
    WantRead,
    /// <summary>The peer closed the TLS session cleanly (close_notify).</summary>
    Closed,
    /// <summary>A protocol or verification error; see <see cref="TlsConnection.LastError"/>.</summary>
    Failed,
}

/// <summary>
/// One TLS session whose network side is two memory BIOs, so sockets stay in managed code: bytes from the peer
/// go in through <see cref="WriteIncoming"/>, bytes for the peer come out of <see cref="ReadOutgoing"/>.
/// Not thread-safe; one connection is driven by one logical flow at a time.
/// </summary>
public sealed class TlsConnection : IDisposable
{
    private readonly SafeSslHandle _ssl;
    private readonly SafeBioHandle _incoming;
    private readonly SafeBioHandle _outgoing;
    private readonly bool _isServer;

    private TlsConnection(SafeSslHandle ssl, SafeBioHandle incoming, SafeBioHandle outgoing, bool isServer)
    {
        _ssl = ssl;
        _isServer = isServer;
        _incoming = incoming;
        _outgoing = outgoing;
    }

    /// <summary>OpenSSL's reason for the last <see cref="TlsStatus.Failed"/>.</summary>
    public string? LastError { get; private set; }

    internal static unsafe TlsConnection Create(SafeSslContextHandle ctx, bool server, string? host, byte[]? alpnWire)
    {
        Interop.Crypto.ERR_clear_error();
        SafeSslHandle ssl = Interop.Ssl.SSL_new(ctx);
        SafeBioHandle? incoming = null, outgoing = null;
        try
        {
            if (ssl.IsInvalid) throw OpenSslException.FromErrorQueue("SSL_new failed");
            incoming = NewMemoryBio();
            outgoing = NewMemoryBio();
            // SSL_set_bio takes over one reference each; the up-refs keep ours valid until we dispose.
            if (Interop.Crypto.BIO_up_ref(incoming) != 1 || Interop.Crypto.BIO_up_ref(outgoing) != 1)
                throw OpenSslException.FromErrorQueue("BIO_up_ref failed");
            Interop.Ssl.SSL_set_bio(ssl, incoming, outgoing);

            if (server)
            {
                Interop.Ssl.SSL_set_accept_state(ssl);
            }
            else
            {
                Interop.Ssl.SSL_set_connect_state(ssl);
                ConfigureClient(ssl, host!, alpnWire!);
            }

            return new TlsConnection(ssl, incoming, outgoing, server);
        }
        catch
        {
            incoming?.Dispose();
            outgoing?.Dispose();
            ssl.Dispose();
            throw;
        }
    }

    private static unsafe void ConfigureClient(SafeSslHandle ssl, string host, byte[] alpnWire)
    {
        fixed (byte* protos = alpnWire)
        {
            if (Interop.Ssl.SSL_set_alpn_protos(ssl, protos, (uint)alpnWire.Length) != 0)
                throw OpenSslException.FromErrorQueue("SSL_set_alpn_protos failed");
        }

        if (TlsContext.IsIpAddress(host))
        {
            if (Interop.Crypto.X509_VERIFY_PARAM_set1_ip_asc(Interop.Ssl.SSL_get0_param(ssl), host) != 1)
                throw OpenSslException.FromErrorQueue($"cannot verify against IP address '{host}'");
            return;
        }

        if (Interop.Ssl.SSL_set1_host(ssl, host) != 1) throw OpenSslException.FromErrorQueue($"cannot verify against host name '{host}'");
        // SNI carries DNS names only (RFC 6066).
        nint name = Marshal.StringToCoTaskMemUTF8(host);
        try
        {
            if (Interop.Ssl.SSL_ctrl(ssl, SslConstants.CtrlSetTlsextHostname, SslConstants.TlsextNameTypeHostName, name) != 1)
                throw OpenSslException.FromErrorQueue($"cannot set server name '{host}'");
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    private static SafeBioHandle NewMemoryBio()
    {
        SafeBioHandle bio = Interop.Crypto.BIO_new(Interop.Crypto.BIO_s_mem());
        if (!bio.IsInvalid) return bio;
        bio.Dispose();
        throw OpenSslException.FromErrorQueue("BIO_new failed");
    }

    /// <summary>Hands OpenSSL bytes received from the peer.</summary>
    public unsafe void WriteIncoming(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        fixed (byte* p = data)
        {
            if (Interop.Crypto.BIO_write(_incoming, p, data.Length) != data.Length)
                throw OpenSslException.FromErrorQueue("BIO_write to a memory BIO failed");
        }
    }

    /// <summary>Octets waiting to be sent to the peer.</summary>
    public int PendingOutgoing => (int)Interop.Crypto.BIO_ctrl_pending(_outgoing);

    /// <summary>Takes up to <paramref name="destination"/>.Length octets to send to the peer; returns how many.</summary>
    public unsafe int ReadOutgoing(Span<byte> destination)
    {
        if (destination.IsEmpty || PendingOutgoing == 0) return 0;
        fixed (byte* p = destination)
        {
            int read = Interop.Crypto.BIO_read(_outgoing, p, destination.Length);
            return read > 0 ? read : 0;
        }
    }

    /// <summary>Advances the handshake as far as the bytes fed so far allow.</summary>
    public TlsStatus Handshake()
    {
        Interop.Crypto.ERR_clear_error();
        int result = Interop.Ssl.SSL_do_handshake(_ssl);
        return result == 1 ? TlsStatus.Ok : Classify(result, "handshake");
    }

    /// <summary>Decrypts application data into <paramref name="destination"/>.</summary>
    public unsafe TlsStatus Read(Span<byte> destination, out int read)
    {
        read = 0;
        if (destination.IsEmpty) return TlsStatus.Ok;
        Interop.Crypto.ERR_clear_error();
        int result;
        fixed (byte* p = destination) result = Interop.Ssl.SSL_read(_ssl, p, destination.Length);
        if (result > 0)
        {
            read = result;
            return TlsStatus.Ok;
        }

        return Classify(result, "read");
    }

    /// <summary>Encrypts all of <paramref name="data"/>; the records then wait in <see cref="ReadOutgoing"/>.</summary>
    public unsafe TlsStatus Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return TlsStatus.Ok;
        Interop.Crypto.ERR_clear_error();
        int result;
        fixed (byte* p = data) result = Interop.Ssl.SSL_write(_ssl, p, data.Length);
        return result == data.Length ? TlsStatus.Ok : Classify(result, "write");
    }

    /// <summary>Queues a close_notify alert for the peer.</summary>
    public void Shutdown()
    {
        Interop.Crypto.ERR_clear_error();
        Interop.Ssl.SSL_shutdown(_ssl);
        Interop.Crypto.ERR_clear_error();
    }

    /// <summary>RFC 5705 keying material (the TLS 1.3 exporter); false if the handshake has not finished.</summary>
    public unsafe bool ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        int labelLength = Encoding.ASCII.GetByteCount(label);
        Span<byte> labelBytes = labelLength <= 128 ? stackalloc byte[labelLength] : new byte[labelLength];
        Encoding.ASCII.GetBytes(label, labelBytes);
        Interop.Crypto.ERR_clear_error();
        fixed (byte* o = output)
        fixed (byte* l = labelBytes)
        fixed (byte* c = context)
        {
            // A non-null context pointer is required even when the context is empty, so pass a stack byte then.
            byte empty = 0;
            byte* contextPointer = c != null ? c : &empty;
            return Interop.Ssl.SSL_export_keying_material(
                _ssl, o, (nuint)output.Length, l, (nuint)labelLength, contextPointer, (nuint)context.Length, useContext: 1) == 1;
        }
    }

    /// <summary>The negotiated ALPN protocol, or null when none was agreed.</summary>
    public unsafe string? NegotiatedAlpn
    {
        get
        {
            byte* data;
            uint length;
            Interop.Ssl.SSL_get0_alpn_selected(_ssl, &data, &length);
            return data == null || length == 0 ? null : Encoding.ASCII.GetString(data, (int)length);
        }
    }

    /// <summary>The negotiated protocol version (0x0304 for TLS 1.3).</summary>
    public int ProtocolVersion => Interop.Ssl.SSL_version(_ssl);

    /// <summary>X509 verification result of the peer certificate: 0 when it verified.</summary>
    public long VerifyResult => Interop.Ssl.SSL_get_verify_result(_ssl);

    /// <summary>OpenSSL's text for <see cref="VerifyResult"/>.</summary>
    public string VerifyResultText => Marshal.PtrToStringUTF8(Interop.Crypto.X509_verify_cert_error_string((nint)VerifyResult)) ?? "unknown";

    public void Dispose()
    {
        _ssl.Dispose();
        _incoming.Dispose();
        _outgoing.Dispose();
    }

    private TlsStatus Classify(int result, string operation)
    {
        int error = Interop.Ssl.SSL_get_error(_ssl, result);
        switch (error)
        {
            case SslConstants.ErrorWantRead:
            case SslConstants.ErrorWantWrite:
                return TlsStatus.WantRead;
            case SslConstants.ErrorZeroReturn:
                return TlsStatus.Closed;
            default:
                string queue = OpenSslException.DrainErrorQueue();
                long verify = VerifyResult;
                LastError = verify != SslConstants.X509VerifyOk && !_isServer
                    ? $"TLS {operation} failed: certificate verification: {VerifyResultText} ({queue})"
                    : $"TLS {operation} failed: {queue}";
                return TlsStatus.Failed;
        }
    }
}
