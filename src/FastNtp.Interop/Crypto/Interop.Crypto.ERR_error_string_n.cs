using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Interop.Libraries.Crypto)]
        internal static unsafe partial void ERR_error_string_n(nuint error, byte* buffer, nuint length);
    }
}
