using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int X509_VERIFY_PARAM_set1_ip_asc(nint param, string ip);
    }
}
