using System.Net;

namespace FastNtp.Protocol.Tests.Policy;

public class ClientAddressTests
{
    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("::")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Addresses_RoundTrip(string text)
    {
        var address = IPAddress.Parse(text);
        Assert.Equal(address, ClientAddress.FromIPAddress(address).ToIPAddress());
        Assert.Equal(text, ClientAddress.FromIPAddress(address).ToString());
    }

    [Fact]
    public void Ipv4AndItsMappedForm_AreOneAddress()
    {
        Assert.True(ClientAddress.TryCreate([192, 0, 2, 1], out ClientAddress v4));
        Assert.True(ClientAddress.TryCreate(IPAddress.Parse("::ffff:192.0.2.1").GetAddressBytes(), out ClientAddress mapped));
        Assert.Equal(v4, mapped);
        Assert.True(v4.IsIPv4);
        Assert.Equal(ClientAddress.FromIPv4(0xC000_0201), v4);
        Assert.False(ClientAddress.FromIPAddress(IPAddress.Parse("::192.0.2.1")).IsIPv4);
        Assert.False(ClientAddress.FromIPAddress(IPAddress.Parse("2001:db8::1")).IsIPv4);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(17)]
    public void OtherLengths_AreRefused(int length)
    {
        Assert.False(ClientAddress.TryCreate(new byte[length], out ClientAddress address));
        Assert.Equal(default, address);
    }

    [Theory]
    [InlineData("2001:db8:1:2:3:4:5:6", 0, "::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 1, "::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 3, "2000::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 65, "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2:ffff:4:5:6", 65, "2001:db8:1:2:8000::")]
    [InlineData("2001:db8:1:2:3:4:5:6", 127, "2001:db8:1:2:3:4:5:6")]
    [InlineData("2001:db8:1:2:3:4:5:7", 127, "2001:db8:1:2:3:4:5:6")]
    [InlineData("2001:db8:1:2:3:4:5:7", 128, "2001:db8:1:2:3:4:5:7")]
    public void Masking_KeepsTheLeadingBits(string address, int length, string expected) =>
        Assert.Equal(
            ClientAddress.FromIPAddress(IPAddress.Parse(expected)),
            ClientAddress.FromIPAddress(IPAddress.Parse(address)).Mask(length));
}
