using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial nint TLS_server_method();
    }
}
