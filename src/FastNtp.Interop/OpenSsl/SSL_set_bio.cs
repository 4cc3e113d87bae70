using System.Runtime.InteropServices;

namespace FastNtp.Interop.OpenSsl;

internal static partial class LibSsl
{
    /// <summary>Takes one reference to each BIO; the caller keeps its own via BIO_up_ref.</summary>
    [LibraryImport(Libraries.Ssl)]
    internal static partial void SSL_set_bio(SafeSslHandle ssl, SafeBioHandle readBio, SafeBioHandle writeBio);
}
