namespace FastNtp.Server.Tests.Configuration;

public sealed class EndpointParserTests
{
    [Theory]
    [InlineData("127.0.0.1:123", "127.0.0.1", 123)]
    [InlineData("127.0.0.1", "127.0.0.1", 4460)]
    [InlineData("[::1]:12300", "::1", 12300)]
    [InlineData("[::]", "::", 4460)]
    [InlineData("::1", "::1", 4460)]
    [InlineData(" 0.0.0.0:1 ", "0.0.0.0", 1)]
    public void AddressEndpoints_Parse(string text, string address, int port)
    {
        Assert.True(EndpointParser.TryParseAddress(text, 4460, out IPEndPoint? endpoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("localhost:123")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:+1")]
    [InlineData("127.0.0.1:")]
    [InlineData("[::1]123")]
    [InlineData("[::1")]
    [InlineData("[]:123")]
    [InlineData(":123")]
    public void MalformedEndpoints_AreRejected(string text) =>
        Assert.False(EndpointParser.TryParseAddress(text, 123, out _));

    [Theory]
    [InlineData("time.example", "time.example", 123)]
    [InlineData("time.example:4123", "time.example", 4123)]
    [InlineData("[2001:db8::1]:4123", "2001:db8::1", 4123)]
    public void HostNames_AreSplit(string text, string host, int port)
    {
        Assert.True(EndpointParser.TrySplitHostPort(text, 123, out string h, out int p));
        Assert.Equal(host, h);
        Assert.Equal(port, p);
    }
}
