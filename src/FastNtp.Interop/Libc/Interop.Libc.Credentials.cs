using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    /// <summary>
    /// Who the process is: user lookup, user and group ids, capabilities. glibc's setuid, setgid and setgroups
    /// change every thread of the process (its setxid broadcast); capset and prctl change only the calling thread.
    /// </summary>
    internal static partial class Libc
    {
        /// <summary>prctl option: keep the permitted capabilities across a change from uid 0 to another uid.</summary>
        internal const int PrSetKeepCaps = 8;

        /// <summary>_LINUX_CAPABILITY_VERSION_3: two <see cref="CapUserData"/> words, capabilities 0-31 and 32-63.</summary>
        internal const uint LinuxCapabilityVersion3 = 0x20080522;

        /// <summary>struct passwd (glibc, 64-bit).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Passwd
        {
            public nint Name;
            public nint Password;
            public uint Uid;
            public uint Gid;
            public nint Gecos;
            public nint Directory;
            public nint Shell;
        }

        /// <summary>struct __user_cap_header_struct.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct CapUserHeader
        {
            public uint Version;
            public int Pid;
        }

        /// <summary>struct __user_cap_data_struct: one 32-bit word of each set.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct CapUserData
        {
            public uint Effective;
            public uint Permitted;
            public uint Inheritable;
        }

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int GetPwNamR(string name, Passwd* entry, byte* buffer, nuint length, Passwd** result);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "getresuid", SetLastError = true)]
        internal static unsafe partial int GetResUid(uint* real, uint* effective, uint* saved);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "getresgid", SetLastError = true)]
        internal static unsafe partial int GetResGid(uint* real, uint* effective, uint* saved);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "setgroups", SetLastError = true)]
        internal static unsafe partial int SetGroups(nuint count, uint* groups);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "setgid", SetLastError = true)]
        internal static partial int SetGid(uint gid);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "setuid", SetLastError = true)]
        internal static partial int SetUid(uint uid);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "prctl", SetLastError = true)]
        internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "capget", SetLastError = true)]
        internal static unsafe partial int CapGet(CapUserHeader* header, CapUserData* data);

        [LibraryImport(Interop.Libraries.Libc, EntryPoint = "capset", SetLastError = true)]
        internal static unsafe partial int CapSet(CapUserHeader* header, CapUserData* data);
    }
}
