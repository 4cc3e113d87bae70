using FastNtp.Interop.Bpf;
using FastNtp.Protocol.Frames;
using FastNtp.Server.Xdp;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// The XDP program loaded (never attached) for BPF_PROG_TEST_RUN. Loading needs root (CAP_BPF) and a build with
/// clang: without them these tests fail with the reason, they do not skip.
/// </summary>
public sealed class XdpFixture : IDisposable
{
    public static readonly IPAddress ServerV4 = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress ServerV6 = IPAddress.Parse("2001:db8::1");
    public const int ServerPort = 123;
    public const ushort ClientPort = 40_123;
    public static readonly MacAddress ClientMac = new(0x02_00_00_00_00_01);
    public static readonly MacAddress ServerMac = new(0x02_00_00_00_00_02);

    /// <summary>The program's verdicts (enum xdp_action).</summary>
    public const uint XdpDrop = 1;
    public const uint XdpPass = 2;
    public const uint XdpTx = 3;

    public XdpFixture()
    {
        if (XdpProgram.CompiledObject() is null)
            throw new InvalidOperationException("FastNtp.Server was built without its XDP program: install clang and libbpf-dev (scripts/install-deps.sh) and rebuild.");
        try
        {
            // One specific IPv4 address and the IPv6 wildcard: both ways of matching a destination get exercised. No
            // client policy: XdpPolicyTests load their own programs with one.
            Program = XdpProgram.Load([new IPEndPoint(ServerV4, ServerPort), new IPEndPoint(IPAddress.IPv6Any, ServerPort)], TimeSpan.FromSeconds(2),
                new XdpPolicy(new ClientPolicyOptions(), [], [], Nts: true));
        }
        catch (BpfException e)
        {
            throw new InvalidOperationException($"Loading the XDP program failed ({e.Message}); these tests need root (CAP_BPF, CAP_NET_ADMIN).", e);
        }
    }

    public XdpProgram Program { get; }

    public void Dispose() => Program.Dispose();
}
