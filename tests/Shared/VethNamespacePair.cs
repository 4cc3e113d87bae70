using System.Globalization;
namespace FastNtp.Tests.Shared;

/// <summary>
/// Two network namespaces this test run creates, a server and a client, joined by a veth pair with IPv4 and IPv6
/// addresses. The client's end runs an XDP_PASS program, which a veth needs to receive frames its peer sends
/// with XDP_TX, and computes full UDP checksums, as frames on a wire carry them. Both namespaces go on dispose.
/// </summary>
public sealed class VethNamespacePair : IDisposable
{
    public const string ServerInterface = "fntp-srv";
    private const string ClientInterface = "fntp-cli";
    private static int _next;

    private readonly string _ip;
    private readonly string _directory;

    public VethNamespacePair()
    {
        _ip = ExternalProcess.RequireProgram("ip", "iproute2");
        string clang = ExternalProcess.RequireProgram("clang", "clang");
        string ethtool = ExternalProcess.RequireProgram("ethtool", "ethtool");
        int n = Interlocked.Increment(ref _next);
        string id = $"{Environment.ProcessId}-{n}";
        ServerNamespace = $"fntp-xs-{id}";
        ClientNamespace = $"fntp-xc-{id}";
        // A subnet per pair, so pairs of one run never share addresses.
        int subnet = 1 + ((Environment.ProcessId * 8 + n) % 250);
        ServerV4 = $"10.231.{subnet}.1";
        ClientV4 = $"10.231.{subnet}.2";
        ServerV6 = $"fd00:231:{subnet:x}::1";
        ClientV6 = $"fd00:231:{subnet:x}::2";
        _directory = Directory.CreateTempSubdirectory("fastntp-veth-").FullName;

        Ip(["netns", "add", ServerNamespace]);
        try
        {
            Ip(["netns", "add", ClientNamespace]);
            Ip(["link", "add", ServerInterface, "netns", ServerNamespace, "type", "veth", "peer", "name", ClientInterface, "netns", ClientNamespace]);
            Ip(["-n", ServerNamespace, "addr", "add", $"{ServerV4}/24", "dev", ServerInterface]);
            Ip(["-n", ClientNamespace, "addr", "add", $"{ClientV4}/24", "dev", ClientInterface]);
            Ip(["-n", ServerNamespace, "addr", "add", $"{ServerV6}/64", "dev", ServerInterface, "nodad"]);
            Ip(["-n", ClientNamespace, "addr", "add", $"{ClientV6}/64", "dev", ClientInterface, "nodad"]);
            foreach ((string ns, string dev) in new[] { (ServerNamespace, ServerInterface), (ClientNamespace, ClientInterface) })
            {
                Ip(["-n", ns, "link", "set", "lo", "up"]);
                Ip(["-n", ns, "link", "set", dev, "up"]);
            }

            string source = Path.Combine(_directory, "xdp_pass.c");
            string obj = Path.Combine(_directory, "xdp_pass.o");
            File.WriteAllText(source, "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC(\"xdp\") int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n");
            string arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64";
            ExternalProcess.RunChecked(clang, ["-O2", "-target", "bpf", $"-I/usr/include/{arch}-linux-gnu", "-c", source, "-o", obj], TimeSpan.FromSeconds(60));
            Ip(["-n", ClientNamespace, "link", "set", "dev", ClientInterface, "xdpdrv", "obj", obj, "sec", "xdp"]);
            ExternalProcess.RunChecked(_ip, ["netns", "exec", ClientNamespace, ethtool, "-K", ClientInterface, "tx", "off"], TimeSpan.FromSeconds(10));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ServerNamespace { get; }
    public string ClientNamespace { get; }
    public string ServerV4 { get; }
    public string ClientV4 { get; }
    public string ServerV6 { get; }
    public string ClientV6 { get; }

    /// <summary>Runs a program inside the client namespace.</summary>
    public (int ExitCode, string Output) RunInClient(string program, IEnumerable<string> arguments, TimeSpan timeout) =>
        ExternalProcess.Run(_ip, ["netns", "exec", ClientNamespace, program, .. arguments], timeout);

    public (int ExitCode, string Output) RunInServer(string program, IEnumerable<string> arguments, TimeSpan timeout) =>
        ExternalProcess.Run(_ip, ["netns", "exec", ServerNamespace, program, .. arguments], timeout);

    /// <summary>Starts a program inside the client namespace.</summary>
    public ExternalProcess StartInClient(string program, IEnumerable<string> arguments) =>
        ExternalProcess.Start(_ip, ["netns", "exec", ClientNamespace, program, .. arguments]);

    /// <summary>Starts a program inside the server namespace.</summary>
    public ExternalProcess StartInServer(string program, IEnumerable<string> arguments) =>
        ExternalProcess.Start(_ip, ["netns", "exec", ServerNamespace, program, .. arguments]);

    /// <summary>What `ip link show` says about the server's veth (an attached program shows as prog/xdp).</summary>
    public string ServerLink() => RunInServer("ip", ["link", "show", "dev", ServerInterface], TimeSpan.FromSeconds(10)).Output;

    private void Ip(IEnumerable<string> arguments)
    {
        (int exit, string output) = ExternalProcess.Run(_ip, arguments, TimeSpan.FromSeconds(10));
        Assert.True(exit == 0, $"ip {string.Join(' ', arguments)} failed (these tests need root): {output}");
    }

    public void Dispose()
    {
        ExternalProcess.Run(_ip, ["netns", "del", ClientNamespace], TimeSpan.FromSeconds(10));
        ExternalProcess.Run(_ip, ["netns", "del", ServerNamespace], TimeSpan.FromSeconds(10));
        Directory.Delete(_directory, recursive: true);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ServerNamespace} <-> {ClientNamespace}");
}
