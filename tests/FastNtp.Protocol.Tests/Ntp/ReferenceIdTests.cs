using System.Net;

namespace FastNtp.Protocol.Tests.Ntp;

public class ReferenceIdTests
{
    [Fact]
    public void FromAscii_PacksBigEndianAndPadsWithZeros()
    {
        Assert.Equal(0x4750_5300u, ReferenceId.FromAscii("GPS").Value);
        Assert.Equal(0x5050_5300u, ReferenceId.FromAscii("PPS").Value);
        Assert.Equal(0u, ReferenceId.FromAscii("").Value);
    }

    [Theory]
    [InlineData("DENY", 0x44454E59u)]
    [InlineData("RSTR", 0x52535452u)]
    [InlineData("RATE", 0x52415445u)]
    [InlineData("NTSN", 0x4E54534Eu)]
    [InlineData("LOCL", 0x4C4F434Cu)]
    [InlineData("INIT", 0x494E4954u)]
    public void KissCodesAndWellKnownIds_HaveTheirAsciiValues(string code, uint expected)
    {
        ReferenceId id = code switch
        {
            "DENY" => ReferenceId.Deny,
            "RSTR" => ReferenceId.Restricted,
            "RATE" => ReferenceId.Rate,
            "NTSN" => ReferenceId.NtsNak,
            "LOCL" => ReferenceId.Local,
            _ => ReferenceId.Initializing,
        };

        Assert.Equal(expected, id.Value);
        Assert.Equal(ReferenceId.FromAscii(code), id);
        Assert.Equal(code, id.ToString(0));
        Assert.Equal(code, id.ToString(1));
    }

    [Fact]
    public void FromAscii_RefusesLongOrNonAsciiCodes()
    {
        Assert.Throws<ArgumentException>(() => ReferenceId.FromAscii("TOOLONG"));
        Assert.Throws<ArgumentException>(() => ReferenceId.FromAscii("GPS\u00e9"));
        Assert.Throws<ArgumentNullException>(() => ReferenceId.FromAscii(null!));
    }

    [Fact]
    public void ToString_AtStratumOneStopsAtTrailingZeros()
    {
        Assert.Equal("GPS", ReferenceId.FromAscii("GPS").ToString(1));
        Assert.Equal("X", ReferenceId.FromAscii("X").ToString(0));
    }

    [Theory]
    // Unprintable octets, an embedded NUL, chrony's local 127.127.1.1 and the all-zero id are no code.
    [InlineData(0x4101_427Fu, "65.1.66.127")]
    [InlineData(0x4700_5053u, "71.0.80.83")]
    [InlineData(0x7F7F_0101u, "127.127.1.1")]
    [InlineData(0u, "0.0.0.0")]
    public void ToString_AtStratumOneFallsBackToADottedQuadForNonCodes(uint value, string expected) => Assert.Equal(expected, new ReferenceId(value).ToString(1));

    [Fact]
    public void ToString_AboveStratumOneIsADottedQuad()
    {
        Assert.Equal("192.0.2.1", new ReferenceId(0xC000_0201).ToString(2));
        Assert.Equal("71.80.83.0", ReferenceId.FromAscii("GPS").ToString(15));
    }

    [Fact]
    public void ToString_WithoutStratumIsHex() => Assert.Equal("0xC0000201", new ReferenceId(0xC000_0201).ToString());

    [Fact]
    public void FromAddress_IPv4IsTheAddress()
    {
        Assert.Equal(0xC000_0201u, ReferenceId.FromAddress(IPAddress.Parse("192.0.2.1")).Value);
        Assert.Equal(0x7F00_0001u, ReferenceId.FromAddress(IPAddress.Loopback).Value);
    }

    [Fact]
    public void FromAddress_IPv4MappedIPv6IsTheIPv4Address() => Assert.Equal(0xC000_0201u, ReferenceId.FromAddress(IPAddress.Parse("::ffff:192.0.2.1")).Value);

    [Theory]
    // Expected values: python3 -c "import hashlib,ipaddress; print(hashlib.md5(ipaddress.IPv6Address(A).packed).hexdigest()[:8])"
    [InlineData("2001:db8::1", 0x39AB9B37u)]
    [InlineData("::1", 0xCF404DC8u)]
    [InlineData("fe80::1", 0x89E5301Fu)]
    public void FromAddress_IPv6IsTheFirstFourOctetsOfItsMd5(string address, uint expected) => Assert.Equal(expected, ReferenceId.FromAddress(IPAddress.Parse(address)).Value);

    [Fact]
    public void FromAddress_IgnoresTheScopeId() => Assert.Equal(0x89E5301Fu, ReferenceId.FromAddress(IPAddress.Parse("fe80::1%2")).Value);

    [Fact]
    public void FromAddress_RefusesNull() => Assert.Throws<ArgumentNullException>(() => ReferenceId.FromAddress(null!));
}
