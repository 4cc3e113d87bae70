using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static unsafe partial int SSL_export_keying_material(
        SafeSslHandle ssl, byte* output, nuint outputLength, byte* label, nuint labelLength, byte* context, nuint contextLength, int useContext);
}
