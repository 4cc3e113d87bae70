using FastNtp.Interop.Security;

namespace FastNtp.Interop.Tests.Security;

/// <summary>The user database and credential calls; the drop itself changes the whole process and is tested end to end (PrivilegeDropTests).</summary>
public sealed class ProcessIdentityTests
{
    [Fact]
    public void NativeStructs_MatchTheLp64Abi()
    {
        Assert.Equal(48, Unsafe.SizeOf<Interop.Libc.Passwd>());
        Assert.Equal(16, (int)Marshal.OffsetOf<Interop.Libc.Passwd>(nameof(Interop.Libc.Passwd.Uid)));
        Assert.Equal(20, (int)Marshal.OffsetOf<Interop.Libc.Passwd>(nameof(Interop.Libc.Passwd.Gid)));
        Assert.Equal(40, (int)Marshal.OffsetOf<Interop.Libc.Passwd>(nameof(Interop.Libc.Passwd.Shell)));
        Assert.Equal(8, Unsafe.SizeOf<Interop.Libc.CapUserHeader>());
        Assert.Equal(12, Unsafe.SizeOf<Interop.Libc.CapUserData>());
    }

    [Fact]
    public void TryFindUser_ReadsTheUserDatabase()
    {
        // /etc/passwd is the reference: the first two fields after the name and password are uid and gid.
        string[] nobody = File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')).Single(f => f[0] == "nobody");

        Assert.True(ProcessIdentity.TryFindUser("root", out UserAccount root));
        Assert.Equal(new UserAccount("root", 0, 0), root);
        Assert.True(ProcessIdentity.TryFindUser("nobody", out UserAccount user));
        Assert.Equal(new UserAccount("nobody", uint.Parse(nobody[2]), uint.Parse(nobody[3])), user);
        Assert.False(ProcessIdentity.TryFindUser("no-such-user-here", out _));
    }

    [Fact]
    public void IdsAndCapabilities_AreTheProcStatusOnes()
    {
        string[] status = File.ReadAllLines("/proc/thread-self/status");
        string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

        (uint real, uint effective, uint saved) = ProcessIdentity.UserIds();
        Assert.StartsWith($"{real}\t{effective}\t{saved}\t", Field("Uid"), StringComparison.Ordinal);
        (real, effective, saved) = ProcessIdentity.GroupIds();
        Assert.StartsWith($"{real}\t{effective}\t{saved}\t", Field("Gid"), StringComparison.Ordinal);
        (ulong capEffective, ulong capPermitted) = ProcessIdentity.ThreadCapabilities();
        Assert.Equal(Convert.ToUInt64(Field("CapEff"), 16), capEffective);
        Assert.Equal(Convert.ToUInt64(Field("CapPrm"), 16), capPermitted);
    }
}
