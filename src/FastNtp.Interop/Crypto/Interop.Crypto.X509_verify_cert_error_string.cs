using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        /// <summary>Returns a static string; never freed.</summary>
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nint X509_verify_cert_error_string(nint error);
    }
}
