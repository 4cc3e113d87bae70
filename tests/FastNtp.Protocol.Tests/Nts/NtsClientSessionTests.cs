using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>The NTS client session against the in-process responder: cookie limits, NAKs, hostile replies.</summary>
public sealed class NtsClientSessionTests : IDisposable
{
    private static readonly NtpTimestamp T1 = NtpTimestamp.FromParts(3_900_000_000, 0x1234_5678);

    private readonly InProcessNtsServer _server = new();

    public void Dispose() => _server.Dispose();

    private NtsKeAgreement Agreement(AeadAlgorithm algorithm, int cookies, CookieKeyStore? store = null)
    {
        int n = Aead.KeyLength(algorithm);
        byte[] c2s = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        byte[] s2c = System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);
        using var codec = new NtsCookieCodec(store ?? _server.Store, new RandomPool());
        var list = new List<byte[]>();
        for (int i = 0; i < cookies; i++)
        {
            byte[] cookie = new byte[NtsCookieCodec.MaxCookieLength];
            list.Add(cookie[..codec.Seal(algorithm, c2s, s2c, cookie)]);
        }

        return new NtsKeAgreement(algorithm, null, null, c2s, s2c, list);
    }

    private byte[] Serve(ReadOnlySpan<byte> request)
    {
        byte[] response = new byte[2048];
        return response[.._server.Handle(request, response).Length];
    }

    [Theory]
    [InlineData(AeadAlgorithm.AesSivCmac256)]
    [InlineData(AeadAlgorithm.Aes128GcmSiv)]
    public void Exchanges_RefillTheStashToEight(AeadAlgorithm algorithm)
    {
        using var session = new NtsClientSession(Agreement(algorithm, 3));
        Assert.Equal(3, session.CookiesLeft);
        byte[] request = new byte[1024];
        for (int i = 0; i < 4; i++)
        {
            var t1 = NtpTimestamp.FromParts(3_900_000_000, (uint)i);
            int length = session.WriteRequest(request, t1);
            byte[] reply = Serve(request.AsSpan(0, length));
            Assert.Equal(NtsReplyStatus.Ok, session.Verify(reply));
            // The same reply again is not an answer to anything outstanding.
            Assert.Equal(NtsReplyStatus.NotOurs, session.Verify(reply));
        }

        Assert.Equal(NtsClientSession.MaxCookies, session.CookiesLeft);
    }

    [Fact]
    public void CookiesBeyondTheLimits_AreNotKept()
    {
        NtsKeAgreement many = Agreement(AeadAlgorithm.AesSivCmac256, 12);
        using var session = new NtsClientSession(many);
        Assert.Equal(NtsClientSession.MaxCookies, session.CookiesLeft);

        NtsKeAgreement odd = many with { Cookies = [new byte[NtsCookieCodec.MaxCookieLength + 4], [], many.Cookies[0]] };
        using var filtered = new NtsClientSession(odd);
        Assert.Equal(1, filtered.CookiesLeft);
        byte[] request = new byte[1024];
        filtered.WriteRequest(request, T1);
        Assert.False(filtered.CanSend);
        Assert.Throws<InvalidOperationException>(() => filtered.WriteRequest(request, T1));
    }

    [Fact]
    public void Nak_DropsEveryCookie()
    {
        var foreign = new CookieKeyStore(CookieKeySet.Derive(Enumerable.Repeat((byte)9, 32).ToArray(), 1000, 7));
        using var session = new NtsClientSession(Agreement(AeadAlgorithm.AesSivCmac256, 4, foreign));
        byte[] request = new byte[1024];
        int length = session.WriteRequest(request, T1);
        byte[] nak = Serve(request.AsSpan(0, length));
        Assert.Equal(NtsReplyStatus.Nak, session.Verify(nak));
        Assert.Equal(0, session.CookiesLeft);
        Assert.False(session.CanSend);
    }

    [Fact]
    public void HostileReplies_NeverThrowAndNeverAuthenticate()
    {
        using var session = new NtsClientSession(Agreement(AeadAlgorithm.AesSivCmac256, 8));
        byte[] request = new byte[1024];
        int length = session.WriteRequest(request, T1);
        byte[] reply = Serve(request.AsSpan(0, length));
        var random = new Random(11);

        // Nothing sent yet from a fresh session: nothing is ours.
        using (var idle = new NtsClientSession(Agreement(AeadAlgorithm.AesSivCmac256, 1)))
            Assert.Equal(NtsReplyStatus.NotOurs, idle.Verify(reply));

        for (int i = 0; i < 3000; i++)
        {
            byte[] hostile = (byte[])reply.Clone();
            switch (i % 3)
            {
                case 0:
                    // One flipped bit after the header: our reply, but not authentic (or not ours any more).
                    int bit = random.Next(NtpHeader.Length * 8, hostile.Length * 8);
                    hostile[bit / 8] ^= (byte)(1 << (bit % 8));
                    Assert.NotEqual(NtsReplyStatus.Ok, session.Verify(hostile));
                    break;
                case 1:
                    // Truncated anywhere.
                    Assert.NotEqual(NtsReplyStatus.Ok, session.Verify(hostile.AsSpan(0, random.Next(0, hostile.Length))));
                    break;
                default:
                    // Our header followed by noise, with lengths that overrun.
                    byte[] noise = new byte[random.Next(NtpHeader.Length + 4, 1500)];
                    random.NextBytes(noise);
                    hostile.AsSpan(0, NtpHeader.Length).CopyTo(noise);
                    BinaryPrimitives.WriteUInt16BigEndian(noise.AsSpan(NtpHeader.Length), NtsExtensionFieldType.Authenticator);
                    Assert.NotEqual(NtsReplyStatus.Ok, session.Verify(noise));
                    break;
            }
        }

        Assert.Equal(7, session.CookiesLeft);
        Assert.Equal(NtsReplyStatus.Ok, session.Verify(reply));
        Assert.Equal(NtsClientSession.MaxCookies, session.CookiesLeft);
    }
}
