namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int ProtRead = 0x1;
        internal const int ProtWrite = 0x2;
        internal const int MapShared = 0x01;
        internal const int MapPrivate = 0x02;
        internal const int MapAnonymous = 0x20;
        internal const int MapPopulate = 0x8000;
    }
}
