using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>An upstream NTS server (KE or NTP) choosing huge cookies must not make our client write past its request buffer.</summary>
public class OversizedCookieTests
{
    private static byte[] KeResponse(int cookieLength)
    {
        byte[] buffer = new byte[64 + cookieLength];
        var writer = new NtsKeRecordWriter(buffer);
        Assert.True(writer.TryWriteUInt16(NtsKeRecordType.NextProtocol, critical: true, 0));
        Assert.True(writer.TryWriteUInt16(NtsKeRecordType.AeadAlgorithm, critical: true, 15));
        Assert.True(writer.TryWrite(NtsKeRecordType.NewCookie, critical: false, new byte[cookieLength]));
        Assert.True(writer.TryWriteEndOfMessage());
        return buffer[..writer.Written];
    }

    [Fact]
    public void NtsKeResponseWithAnOversizedCookie_IsMalformed()
    {
        Assert.Equal(NtsKeResponseError.None, NtsKeResponse.Parse(KeResponse(NtsCookieCodec.MaxCookieLength), [15]).Error);
        Assert.Equal(NtsKeResponseError.Malformed, NtsKeResponse.Parse(KeResponse(NtsCookieCodec.MaxCookieLength + 1), [15]).Error);
        Assert.Equal(NtsKeResponseError.Malformed, NtsKeResponse.Parse(KeResponse(4000), [15]).Error);
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256, 168, 7)]
    [InlineData(AeadAlgorithm.AesSivCmac256, NtsCookieCodec.MaxCookieLength, 6)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv, NtsCookieCodec.MaxCookieLength, 6)]
    public void Placeholders_AreLimitedSoTheRequestFitsItsBuffer(AeadAlgorithm algorithm, int cookieLength, int expected)
    {
        using var c2s = Aead.Create(algorithm, new byte[Aead.KeyLength(algorithm)]);
        byte[] cookie = new byte[cookieLength];
        byte[] uid = new byte[NtsClientPacket.UniqueIdentifierLength];
        byte[] nonce = new byte[c2s.NonceLength];
        byte[] packet = new byte[2048];
        var transmit = NtpTimestamp.FromParts(0xEC00_0000, 1);

        int placeholders = NtsClientPacket.PlaceholdersThatFit(packet.Length, cookieLength, c2s.NonceLength, wanted: 7);
        Assert.Equal(expected, placeholders);
        int length = NtsClientPacket.Write(packet, transmit, uid, cookie, placeholders, c2s, nonce);
        Assert.InRange(length, NtpHeader.Length, packet.Length);
        if (placeholders < 7)
        {
            // The bound is tight: one more placeholder would not have fitted.
            Assert.ThrowsAny<ArgumentException>(() => NtsClientPacket.Write(packet, transmit, uid, cookie, placeholders + 1, c2s, nonce));
        }
    }
}
