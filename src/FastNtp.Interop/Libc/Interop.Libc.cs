namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>The runtime maps "libc" to the C library's real soname on Linux.</summary>
        private const string LibcLibrary = "libc";

        internal const int ProtRead = 0x1;
        internal const int ProtWrite = 0x2;
        internal const int MapShared = 0x01;
    }
}
