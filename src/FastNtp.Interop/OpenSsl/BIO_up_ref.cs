using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    [LibraryImport(Libraries.Crypto)]
    internal static partial int BIO_up_ref(SafeBioHandle bio);
}
