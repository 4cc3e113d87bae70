using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nint BIO_s_mem();

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial SafeBioHandle BIO_new(nint method);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial int BIO_up_ref(SafeBioHandle bio);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial int BIO_free(nint bio);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static unsafe partial int BIO_read(SafeBioHandle bio, byte* buffer, int count);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static unsafe partial int BIO_write(SafeBioHandle bio, byte* buffer, int count);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nuint BIO_ctrl_pending(SafeBioHandle bio);

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nuint ERR_get_error();

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial void ERR_clear_error();

        [LibraryImport(Interop.Libraries.Crypto)]
        internal static unsafe partial void ERR_error_string_n(nuint error, byte* buffer, nuint length);

        [LibraryImport(Interop.Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int X509_VERIFY_PARAM_set1_ip_asc(nint param, string ip);

        /// <summary>Returns a static string; never freed.</summary>
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nint X509_verify_cert_error_string(nint error);
    }
}
