using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static partial nint SSL_ctrl(SafeSslHandle ssl, int cmd, nint larg, nint parg);
}
