using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SSL_CTX_use_PrivateKey_file(SafeSslContextHandle ctx, string file, int type);
}
