using System.Runtime.InteropServices;

namespace FastNtp.Interop.Security;

/// <summary>A local user account as the system's user database (NSS) knows it.</summary>
public readonly record struct UserAccount(string Name, uint Uid, uint Gid);

/// <summary>
/// The process's user, groups and capabilities (Linux), and the one-way change from root to another user.
/// User and group ids are per process (glibc changes every thread); capabilities are per thread.
/// </summary>
public static unsafe class ProcessIdentity
{
    /// <summary>CAP_SYS_TIME: set the system clock and its discipline (clock_adjtime).</summary>
    public const int CapSysTime = 25;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Looks a user up by name; false when there is none.</summary>
    public static bool TryFindUser(string name, out UserAccount account)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        const int erange = 34;
        account = default;
        Interop.Libc.Passwd entry;
        Interop.Libc.Passwd* found;
        // The strings the entry points to live in the buffer; ERANGE asks for a larger one.
        for (int length = 1024; length <= 1 << 20; length *= 4)
        {
            byte[] buffer = new byte[length];
            int error;
            fixed (byte* b = buffer) error = Interop.Libc.GetPwNamR(name, &entry, b, (nuint)length, &found);
            if (error == erange) continue;
            if (error != 0 || found is null) return false;
            account = new UserAccount(name, entry.Uid, entry.Gid);
            return true;
        }

        return false;
    }

    /// <summary>The real, effective and saved user ids.</summary>
    public static (uint Real, uint Effective, uint Saved) UserIds()
    {
        uint real, effective, saved;
        if (Interop.Libc.GetResUid(&real, &effective, &saved) != 0) throw Failed("getresuid");
        return (real, effective, saved);
    }

    /// <summary>The real, effective and saved group ids.</summary>
    public static (uint Real, uint Effective, uint Saved) GroupIds()
    {
        uint real, effective, saved;
        if (Interop.Libc.GetResGid(&real, &effective, &saved) != 0) throw Failed("getresgid");
        return (real, effective, saved);
    }

    /// <summary>The calling thread's effective and permitted capability sets, bit N for capability N.</summary>
    public static (ulong Effective, ulong Permitted) ThreadCapabilities()
    {
        var header = new Interop.Libc.CapUserHeader { Version = Interop.Libc.LinuxCapabilityVersion3 };
        Interop.Libc.CapUserData* data = stackalloc Interop.Libc.CapUserData[2];
        if (Interop.Libc.CapGet(&header, data) != 0) throw Failed("capget");
        return (data[0].Effective | ((ulong)data[1].Effective << 32), data[0].Permitted | ((ulong)data[1].Permitted << 32));
    }

    /// <summary>
    /// Becomes <paramref name="user"/> (its uid and primary group, no supplementary groups) on every thread, the
    /// calling thread keeping exactly <paramref name="keep"/> capabilities (threads it starts afterwards inherit
    /// them; every other thread keeps none), then checks that root cannot be regained. Throws
    /// <see cref="IOException"/> naming the call that failed; after a failure the process must not go on serving.
    /// </summary>
    public static void Become(UserAccount user, ulong keep)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("Changing the process's user needs Linux.");
        if (user.Uid == 0) throw new ArgumentException("The user to become is not root.", nameof(user));
        if (keep != 0 && Interop.Libc.Prctl(Interop.Libc.PrSetKeepCaps, 1, 0, 0, 0) != 0) throw Failed("prctl(PR_SET_KEEPCAPS)");
        if (Interop.Libc.SetGroups(0, null) != 0) throw Failed("setgroups");
        if (Interop.Libc.SetGid(user.Gid) != 0) throw Failed($"setgid({user.Gid})");
        if (Interop.Libc.SetUid(user.Uid) != 0) throw Failed($"setuid({user.Uid})");
        if (keep != 0)
        {
            // Leaving uid 0 emptied the effective set; the permitted set was kept for this.
            var header = new Interop.Libc.CapUserHeader { Version = Interop.Libc.LinuxCapabilityVersion3 };
            Interop.Libc.CapUserData* data = stackalloc Interop.Libc.CapUserData[2];
            data[0] = new Interop.Libc.CapUserData { Effective = (uint)keep, Permitted = (uint)keep };
            data[1] = new Interop.Libc.CapUserData { Effective = (uint)(keep >> 32), Permitted = (uint)(keep >> 32) };
            if (Interop.Libc.CapSet(&header, data) != 0) throw Failed("capset");
            if (Interop.Libc.Prctl(Interop.Libc.PrSetKeepCaps, 0, 0, 0, 0) != 0) throw Failed("prctl(PR_SET_KEEPCAPS)");
        }

        if (UserIds() != (user.Uid, user.Uid, user.Uid) || GroupIds() != (user.Gid, user.Gid, user.Gid))
            throw new IOException($"still not uid {user.Uid} and gid {user.Gid} everywhere after setuid and setgid");
        if (Interop.Libc.SetUid(0) == 0 || Interop.Libc.SetGid(0) == 0) throw new IOException("root could be regained after the drop");
        if (ThreadCapabilities() != (keep, keep))
            throw new IOException($"capabilities are {ThreadCapabilities()} after the drop, not exactly {keep:x}");
    }

    private static IOException Failed(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
