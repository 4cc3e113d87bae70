using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibCrypto
{
    [LibraryImport(Libraries.Crypto)]
    internal static unsafe partial void ERR_error_string_n(nuint error, byte* buffer, nuint length);
}
