using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static unsafe partial void SSL_CTX_set_alpn_select_cb(
            SafeSslContextHandle ctx,
            delegate* unmanaged<nint, byte**, byte*, byte*, uint, void*, int> callback,
            void* arg);
    }
}
