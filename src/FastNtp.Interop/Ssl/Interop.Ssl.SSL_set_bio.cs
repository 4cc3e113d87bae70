using System.Runtime.InteropServices;
using FastNtp.Interop.OpenSsl;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Ssl
    {
        /// <summary>Takes one reference to each BIO; the caller keeps its own via BIO_up_ref.</summary>
        [LibraryImport(Interop.Libraries.Ssl)]
        internal static partial void SSL_set_bio(SafeSslHandle ssl, SafeBioHandle readBio, SafeBioHandle writeBio);
    }
}
