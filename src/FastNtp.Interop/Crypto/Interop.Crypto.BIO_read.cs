using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static unsafe partial int BIO_read(SafeBioHandle bio, byte* buffer, int count);
    }
}
