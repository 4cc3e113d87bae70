using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nuint BIO_ctrl_pending(SafeBioHandle bio);
    }
}
