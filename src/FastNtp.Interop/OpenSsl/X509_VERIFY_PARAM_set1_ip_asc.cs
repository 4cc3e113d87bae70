using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    [LibraryImport(Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int X509_VERIFY_PARAM_set1_ip_asc(nint param, string ip);
}
