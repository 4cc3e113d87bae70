using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint TLS_server_method();

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint TLS_client_method();

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial SafeSslContextHandle SSL_CTX_new(nint method);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_CTX_free(nint ctx);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint SSL_CTX_ctrl(SafeSslContextHandle ctx, int cmd, nint larg, nint parg);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_CTX_set_num_tickets(SafeSslContextHandle ctx, nuint numTickets);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_CTX_set_verify(SafeSslContextHandle ctx, int mode, nint callback);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_CTX_set_default_verify_paths(SafeSslContextHandle ctx);

        [LibraryImport(Interop.Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SSL_CTX_load_verify_locations(SafeSslContextHandle ctx, string? caFile, string? caPath);

        [LibraryImport(Interop.Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SSL_CTX_use_certificate_chain_file(SafeSslContextHandle ctx, string file);

        [LibraryImport(Interop.Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SSL_CTX_use_PrivateKey_file(SafeSslContextHandle ctx, string file, int type);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_CTX_check_private_key(SafeSslContextHandle ctx);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial void SSL_CTX_set_alpn_select_cb(
            SafeSslContextHandle ctx,
            delegate* unmanaged<nint, byte**, byte*, byte*, uint, void*, int> callback,
            void* arg);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial SafeSslHandle SSL_new(SafeSslContextHandle ctx);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_free(nint ssl);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint SSL_ctrl(SafeSslHandle ssl, int cmd, nint larg, nint parg);

        /// <summary>Takes one reference to each BIO; the caller keeps its own via BIO_up_ref.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_set_bio(SafeSslHandle ssl, SafeBioHandle readBio, SafeBioHandle writeBio);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_set_accept_state(SafeSslHandle ssl);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_set_connect_state(SafeSslHandle ssl);

        [LibraryImport(Interop.Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SSL_set1_host(SafeSslHandle ssl, string hostname);

        /// <summary>The connection's verification parameters, owned by the SSL object.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint SSL_get0_param(SafeSslHandle ssl);

        /// <summary>Returns 0 on success, unlike most of OpenSSL.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial int SSL_set_alpn_protos(SafeSslHandle ssl, byte* protos, uint length);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_do_handshake(SafeSslHandle ssl);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial int SSL_read(SafeSslHandle ssl, byte* buffer, int count);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial int SSL_write(SafeSslHandle ssl, byte* buffer, int count);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_shutdown(SafeSslHandle ssl);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_get_error(SafeSslHandle ssl, int ret);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint SSL_get_verify_result(SafeSslHandle ssl);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial void SSL_get0_alpn_selected(SafeSslHandle ssl, byte** data, uint* length);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial int SSL_export_keying_material(
            SafeSslHandle ssl, byte* output, nuint outputLength, byte* label, nuint labelLength, byte* context, nuint contextLength, int useContext);

        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial int SSL_version(SafeSslHandle ssl);
    }
}
