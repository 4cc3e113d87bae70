using System.Net;

namespace FastNtp.Protocol.Tests.Policy;

public class AccessListTests
{
    private static AccessList Create(string[] allow, string[] deny)
    {
        Assert.True(AccessList.TryCreate(allow, deny, out AccessList list, out IReadOnlyList<string> errors), string.Join('\n', errors));
        Assert.Empty(errors);
        return list;
    }

    private static bool Allowed(AccessList list, string address) =>
        list.IsAllowed(ClientAddress.FromIPAddress(IPAddress.Parse(address)));

    /// <summary>Builds the lists, then checks every client they must allow and every one they must deny.</summary>
    private static void AssertVerdicts(string[] allow, string[] deny, string[] allowed, string[] denied)
    {
        AccessList list = Create(allow, deny);
        Assert.All(allowed, client => Assert.True(Allowed(list, client), $"{client} is denied"));
        Assert.All(denied, client => Assert.False(Allowed(list, client), $"{client} is allowed"));
    }

    [Fact]
    public void NoLists_AllowEveryone()
    {
        AccessList list = Create([], []);
        Assert.True(list.IsEmpty);
        Assert.True(Allowed(list, "192.0.2.1"));
        Assert.True(Allowed(list, "2001:db8::1"));
        Assert.True(AccessList.AllowAll.IsEmpty);
    }

    [Theory]
    [InlineData("10.1.2.3", false)]
    [InlineData("10.1.9.9", true)]
    [InlineData("10.1.2.4", true)]
    [InlineData("10.2.0.1", false)]
    [InlineData("11.0.0.1", true)]
    [InlineData("::ffff:10.1.9.9", true)]
    [InlineData("::ffff:10.2.0.1", false)]
    [InlineData("2001:db8:1::1", false)]
    [InlineData("2001:db8:1:2::1", true)]
    [InlineData("2001:db8:1:2::dead", false)]
    [InlineData("2001:db8:2::1", true)]
    [InlineData("2001:db9::1", true)]
    public void LongestPrefix_WinsInEachFamily(string client, bool allowed)
    {
        AccessList list = Create(
            ["0.0.0.0/0", "10.1.0.0/16", "::/0", "2001:db8:1:2::/64"],
            ["10.0.0.0/8", "10.1.2.3/32", "2001:db8:1::/48", "2001:db8:1:2::dead/128"]);
        Assert.False(list.IsEmpty);
        Assert.Equal(allowed, Allowed(list, client));
    }

    [Fact]
    public void NonEmptyAllowList_DeniesEverythingItDoesNotName() => AssertVerdicts(
        allow: ["192.0.2.0/24", "2001:db8::/32"], deny: [],
        allowed: ["192.0.2.77", "2001:db8:ffff::1"], denied: ["198.51.100.1", "2001:db9::1"]);

    [Fact]
    public void SlashZero_CoversItsFamilyOnly()
    {
        AssertVerdicts(allow: [], deny: ["0.0.0.0/0"], allowed: ["2001:db8::1"], denied: ["192.0.2.1", "::ffff:192.0.2.1"]);
        AssertVerdicts(allow: [], deny: ["::/0"], allowed: ["192.0.2.1"], denied: ["2001:db8::1", "::1"]);
        AssertVerdicts(allow: ["192.0.2.1"], deny: ["0.0.0.0/0", "::/0"], allowed: ["192.0.2.1"], denied: ["192.0.2.2"]);
    }

    [Fact]
    public void HostEntriesWithoutALength_AreSlash32AndSlash128() => AssertVerdicts(
        allow: [], deny: ["192.0.2.1", "2001:db8::1"],
        allowed: ["192.0.2.0", "2001:db8::2"], denied: ["192.0.2.1", "2001:db8::1"]);

    [Fact]
    public void Ipv4MappedPrefix_IsAnIpv4Prefix() => AssertVerdicts(
        allow: [], deny: ["::ffff:10.0.0.0/104"], allowed: ["11.0.0.1"], denied: ["10.9.9.9", "::ffff:10.9.9.9"]);

    [Fact]
    public void OverlappingPrefixes_NestFourDeep() => AssertVerdicts(
        allow: ["10.0.0.0/8", "10.1.1.0/24"], deny: ["10.1.0.0/16", "10.1.1.128/25"],
        allowed: ["10.2.0.1", "10.1.1.1"], denied: ["10.1.2.1", "10.1.1.200", "192.0.2.1"]);

    [Fact]
    public void ManyPrefixes_AreFoundByBinarySearchInEveryGroup()
    {
        var deny = new List<string>();
        for (int i = 0; i < 256; i++) deny.Add($"10.{i}.0.0/16");
        for (int i = 0; i < 256; i += 2) deny.Add($"172.16.{i}.0/24");
        AccessList list = Create([], [.. deny]);
        for (int i = 0; i < 256; i++)
        {
            Assert.False(Allowed(list, $"10.{i}.3.4"));
            Assert.Equal(i % 2 == 1, Allowed(list, $"172.16.{i}.9"));
        }

        Assert.True(Allowed(list, "11.0.0.1"));
    }

    [Fact]
    public void DuplicatesInOneList_AreHarmless() =>
        AssertVerdicts(allow: [], deny: ["10.0.0.0/8", "10.0.0.0/8", " 10.0.0.0/8 "], allowed: ["11.0.0.1"], denied: ["10.0.0.1"]);

    [Theory]
    [InlineData("", "an empty entry")]
    [InlineData("banana", "is not an IP address or CIDR prefix")]
    [InlineData("10.1", "is not an IP address or CIDR prefix")]
    [InlineData("fe80::1%eth0", "is not an IP address or CIDR prefix")]
    [InlineData("10.0.0.0/33", "from 0 to 32 for IPv4")]
    [InlineData("10.0.0.0/-1", "from 0 to 32 for IPv4")]
    [InlineData("10.0.0.0/", "from 0 to 32 for IPv4")]
    [InlineData("10.0.0.0/8x", "from 0 to 32 for IPv4")]
    [InlineData("2001:db8::/129", "from 0 to 128 for IPv6")]
    [InlineData("10.0.0.1/8", "host bits set; the network is 10.0.0.0/8")]
    [InlineData("2001:db8::1/32", "host bits set; the network is 2001:db8::/32")]
    public void BadEntries_AreReportedWithTheOptionAndIndex(string entry, string message)
    {
        Assert.False(AccessList.TryCreate(["192.0.2.0/24"], ["10.0.0.0/8", entry], out _, out IReadOnlyList<string> errors));
        string error = Assert.Single(errors);
        Assert.StartsWith("Access:Deny[1]: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryBadEntry_IsReportedAtOnceAndAPrefixCannotBeBothAllowedAndDenied()
    {
        Assert.False(AccessList.TryCreate(["x", "10.0.0.0/8"], ["y", "10.0.0.0/8"], out _, out IReadOnlyList<string> errors));
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("Access:Allow[0]: ", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("Access:Deny[0]: ", errors[1], StringComparison.Ordinal);
        Assert.Equal("Access:Deny[1]: '10.0.0.0/8' is also in Access:Allow[1]; a prefix is either allowed or denied.", errors[2]);
    }
}
