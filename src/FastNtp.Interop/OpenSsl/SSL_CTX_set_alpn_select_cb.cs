using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static unsafe partial void SSL_CTX_set_alpn_select_cb(
        SafeSslContextHandle ctx,
        delegate* unmanaged<nint, byte**, byte*, byte*, uint, void*, int> callback,
        void* arg);
}
