using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    [LibraryImport(Libraries.Crypto)]
    internal static partial nint BIO_s_mem();
}
