namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int ProtRead = 0x1;
        internal const int ProtWrite = 0x2;
        internal const int MapShared = 0x01;
    }
}
