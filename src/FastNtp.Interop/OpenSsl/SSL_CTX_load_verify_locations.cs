using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SSL_CTX_load_verify_locations(SafeSslContextHandle ctx, string? caFile, string? caPath);
}
