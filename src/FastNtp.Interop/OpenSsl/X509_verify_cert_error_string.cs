using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(Libraries.Crypto)]
    internal static partial nint X509_verify_cert_error_string(nint error);
}
