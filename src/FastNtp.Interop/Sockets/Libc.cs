namespace FastNtp.Interop.Sockets;

/// <summary>glibc socket calls; one file per native call, as in dotnet/runtime's Interop folders.</summary>
internal static partial class Libc
{
    /// <summary>The runtime maps "libc" to the C library's real soname on Linux.</summary>
    internal const string Name = "libc";
}
