using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>if_nametoindex(3): the interface's index, 0 (errno set) when there is none of that name.</summary>
        [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial uint IfNameToIndex(string name);
    }
}
