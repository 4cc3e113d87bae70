using System.Net;
using FastNtp.Crypto;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;

namespace FastNtp.LoadTest.Tests;

/// <summary>A run whose transport cannot be built stops before it starts, with one line for the user.</summary>
public sealed class LoadRunnerSetupTests
{
    [Fact]
    public void XdpSender_RefusesNtsFramesTooLongWithOneLine()
    {
        Assert.True(XdpRequestSender.CompiledObject() is not null, "fastntp-load was built without its XDP sender: install clang and libbpf-dev (scripts/install-deps.sh) and rebuild.");
        // FastNtp's cookies (108 octets a field) always fit; a server whose cookies are 180 octets, with 7 placeholders,
        // makes a request frame of 1,638 octets, longer than the sender's pages hold.
        byte[] key = new byte[Aead.KeyLength(AeadAlgorithm.AesSivCmac256)];
        var agreement = new NtsKeAgreement(AeadAlgorithm.AesSivCmac256, null, null, key, key, [new byte[180]]);
        var session = new NtsKeResult("127.0.0.1", 4460, "127.0.0.1", 123, agreement);
        var settings = new LoadSettings(new IPEndPoint(IPAddress.Loopback, 123), Clients: 1, Threads: 1,
            RateSchedule.Fixed(100, TimeSpan.FromSeconds(1)), Drain: TimeSpan.Zero, Batch: 16, SocketBufferBytes: 1 << 20,
            MaxSkew: TimeSpan.FromSeconds(10), Label: "xdp", Warmup: TimeSpan.Zero, NtsSessions: [session], NtsPlaceholders: 7,
            Raw: new RawFrameOptions("lo", new MacAddress(0), new MacAddress(0), IPAddress.Parse("10.201.0.1"), 1, 0, RawSender.Xdp));

        // Nothing is sent: the refusal comes while the transport is built on lo (its packet socket needs root).
        LoadSetupException refusal = Assert.Throws<LoadSetupException>(
            () => new LoadRunner(settings).Run(_ => { }, _ => { }, CancellationToken.None));

        Assert.StartsWith($"--raw-sender xdp sends NTS request frames of up to {NtsRequestFrame.MaxFrameLength} octets;", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Message);
    }
}
