using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    [LibraryImport(Libraries.Crypto)]
    internal static unsafe partial int BIO_read(SafeBioHandle bio, byte* buffer, int count);
}
