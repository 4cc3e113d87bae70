using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    [LibraryImport(Libraries.Ssl)]
    internal static partial int SSL_CTX_set_num_tickets(SafeSslContextHandle ctx, nuint numTickets);
}
