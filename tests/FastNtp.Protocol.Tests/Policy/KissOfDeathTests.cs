namespace FastNtp.Protocol.Tests.Policy;

public class KissOfDeathTests
{
    private static readonly NtpTimestamp ClientTransmit = NtpTimestamp.FromParts(0xEA00_1234, 0x8000_0001);

    private static byte[] Request(byte version = 4, sbyte poll = 6, int length = NtpHeader.Length)
    {
        byte[] request = new byte[length];
        new NtpHeader
        {
            Version = version,
            Mode = NtpMode.Client,
            Poll = poll,
            Precision = -20,
            TransmitTime = ClientTransmit,
        }.Write(request);
        request.AsSpan(NtpHeader.Length).Fill(0xAA);
        return request;
    }

    [Theory]
    [InlineData("RATE")]
    [InlineData("DENY")]
    public void Kiss_HasStratum0TheCodeAsReferenceIdAndTheOriginEchoed(string code)
    {
        byte[] response = new byte[1024];
        response.AsSpan().Fill(0x55);
        int length = KissOfDeath.Write(Request(), ReferenceId.FromAscii(code), 1, response);

        Assert.Equal(NtpHeader.Length, length);
        Assert.True(NtpHeader.TryRead(response, out NtpHeader kiss));
        Assert.Equal(LeapIndicator.Unsynchronized, kiss.Leap);
        Assert.Equal(4, kiss.Version);
        Assert.Equal(NtpMode.Server, kiss.Mode);
        Assert.Equal(0, kiss.Stratum);
        Assert.Equal(ReferenceId.FromAscii(code), kiss.ReferenceId);
        Assert.Equal(code, kiss.ReferenceId.ToString(0));
        Assert.Equal(ClientTransmit, kiss.OriginTime);
        // No time is revealed: receive and transmit echo the client's own timestamp.
        Assert.Equal(ClientTransmit, kiss.ReceiveTime);
        Assert.Equal(ClientTransmit, kiss.TransmitTime);
        Assert.Equal(NtpTimestamp.Zero, kiss.ReferenceTime);
        Assert.Equal(0u, kiss.RootDelay);
        Assert.Equal(0u, kiss.RootDispersion);
        Assert.Equal(0, kiss.Precision);
        Assert.Equal(6, kiss.Poll);
        Assert.Equal(0x55, response[NtpHeader.Length]);
    }

    [Fact]
    public void FirstByte_IsLeap3TheRequestVersionAndMode4()
    {
        byte[] response = new byte[NtpHeader.Length];
        KissOfDeath.Write(Request(version: 3), ReferenceId.Rate, 0, response);
        Assert.Equal(0b11_011_100, response[0]);
        Assert.Equal(new byte[] { 0x52, 0x41, 0x54, 0x45 }, response[12..16]);
    }

    [Theory]
    [InlineData(6, 3, 6)]
    [InlineData(2, 3, 3)]
    [InlineData(-6, 0, 0)]
    public void Poll_IsTheLargerOfTheRequestPollAndTheMinimum(sbyte requestPoll, sbyte minimum, sbyte expected)
    {
        byte[] response = new byte[NtpHeader.Length];
        KissOfDeath.Write(Request(poll: requestPoll), ReferenceId.Rate, minimum, response);
        Assert.Equal(expected, (sbyte)response[2]);
    }

    [Theory]
    [InlineData(48)]
    [InlineData(68)]
    [InlineData(1024)]
    public void Kiss_IsNeverLongerThanTheRequest(int requestLength)
    {
        byte[] response = new byte[2048];
        int length = KissOfDeath.Write(Request(length: requestLength), ReferenceId.Deny, 0, response);
        Assert.InRange(length, 1, requestLength);
    }

    [Theory]
    [InlineData(0, 48)]
    [InlineData(47, 48)]
    [InlineData(48, 47)]
    [InlineData(48, 0)]
    public void TooShortARequestOrBuffer_WritesNothing(int requestLength, int responseLength)
    {
        byte[] response = new byte[responseLength];
        Assert.Equal(0, KissOfDeath.Write(new byte[requestLength], ReferenceId.Rate, 0, response));
        Assert.All(response, b => Assert.Equal(0, b));
    }
}
