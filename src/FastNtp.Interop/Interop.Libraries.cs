namespace FastNtp.Interop;

/// <summary>Native bindings in dotnet/runtime's shape: a nested class per library, its calls in one file per library or per concern.</summary>
internal static partial class Interop
{
    /// <summary>The shared objects the bindings load.</summary>
    internal static class Libraries
    {
        /// <summary>The runtime maps "libc" to the C library's real soname on Linux.</summary>
        internal const string Libc = "libc";

        /// <summary>The OpenSSL 3 shared objects; Debian 12 ships 3.0.x in libssl3.</summary>
        internal const string Ssl = "libssl.so.3";
        internal const string Crypto = "libcrypto.so.3";

        /// <summary>libbpf 1.x (Debian's libbpf1): every call returns a negative errno, or NULL with errno set.</summary>
        internal const string Bpf = "libbpf.so.1";
    }
}
