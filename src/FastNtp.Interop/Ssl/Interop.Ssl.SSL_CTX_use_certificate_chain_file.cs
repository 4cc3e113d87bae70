using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        [LibraryImport(Interop.Libraries.Ssl, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SSL_CTX_use_certificate_chain_file(SafeSslContextHandle ctx, string file);
    }
}
