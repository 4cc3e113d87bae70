using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static unsafe partial int SSL_write(SafeSslHandle ssl, byte* buffer, int count);
}
