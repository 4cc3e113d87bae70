using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static partial nuint ERR_get_error();
    }
}
