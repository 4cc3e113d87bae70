using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static partial nint SSL_CTX_ctrl(SafeSslContextHandle ctx, int cmd, nint larg, nint parg);
}
