using FastNtp.Interop.Security;
using FastNtp.Server.Tests.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Tests.Hosting;

/// <summary>
/// What a server started as root decides before binding: whom to become and which capability its clock threads keep.
/// The drop itself changes the whole process and is tested end to end (FastNtp.Tests PrivilegeDropTests).
/// </summary>
public sealed class PrivilegeDropTests
{
    private static PrivilegeDrop? Plan(bool clockControl, params (string Key, string Value)[] keys) =>
        PrivilegeDrop.Plan(TestSettings.Load(keys).Server, clockControl, NullLogger.Instance);

    [Fact]
    public void Plan_KeepsCapSysTimeOnlyForClockControlKernel()
    {
        Assert.Equal(0u, ProcessIdentity.UserIds().Effective); // the suite runs as root (scripts/test.sh)
        Assert.True(ProcessIdentity.TryFindUser("nobody", out UserAccount nobody));

        PrivilegeDrop kernel = Plan(true, ("Server:User", "nobody"))!;
        PrivilegeDrop observing = Plan(false, ("Server:User", "nobody"))!;

        Assert.Equal(nobody, kernel.User);
        Assert.Equal(1UL << ProcessIdentity.CapSysTime, kernel.KeptCapabilities);
        Assert.Equal(0UL, observing.KeptCapabilities);
    }

    [Fact]
    public void Plan_RefusesRootWithoutAUserUnlessAllowed()
    {
        Assert.Equal(0u, ProcessIdentity.UserIds().Effective);

        ConfigurationException refused = Assert.Throws<ConfigurationException>(() => Plan(false));
        Assert.StartsWith("--user: started as root", refused.Message, StringComparison.Ordinal);
        Assert.Null(Plan(false, ("Server:AllowRoot", "true"))!.User);
        Assert.Equal("--user: 'root' is root; set Server:AllowRoot to serve as root",
            Assert.Throws<ConfigurationException>(() => Plan(false, ("Server:User", "root"))).Message);
    }
}
