using System.Net;
using System.Text.RegularExpressions;
using FastNtp.Interop.Bpf;
using FastNtp.Interop.Xsk;
using FastNtp.Protocol;

namespace FastNtp.Server.Configuration;

public sealed class ServerOptions
{
    public List<string> Listen { get; set; } = [];
    public int Workers { get; set; }
    public int? LocalStratum { get; set; }
    public bool PinWorkers { get; set; }
    public string Engine { get; set; } = "auto";
    public XdpOptions Xdp { get; set; } = new();
    public HwTimestampOptions HwTimestamp { get; set; } = new();
    public string? User { get; set; }
    public bool AllowRoot { get; set; }
    public bool Interleaved { get; set; }
}

public sealed class XdpOptions
{
    public List<string> Interfaces { get; set; } = [];
    public string Mode { get; set; } = "auto";
    public bool AfXdp { get; set; } = true;
    public int Queues { get; set; } = 1;
    public int FrameCount { get; set; } = 4096;
    public string Copy { get; set; } = "auto";
}

public enum EngineKind
{
    /// <summary>The Linux batch engine where it is supported, else the portable one.</summary>
    Auto,
    /// <summary>recvmmsg/sendmmsg with kernel timestamps; start-up fails where it is not supported.</summary>
    Linux,
    /// <summary>System.Net.Sockets, one datagram per call.</summary>
    Portable,
}

/// <param name="Listen">Where to answer; the NTP port on every IPv4 and IPv6 address when none is configured.</param>
/// <param name="Workers">Worker threads per endpoint; one per core when configured as 0.</param>
/// <param name="LocalStratum">Serve the local clock at this stratum while no upstream is selected.</param>
/// <param name="Xdp">The XDP driver path in front of the engine; no interfaces leaves it off.</param>
/// <param name="HwTimestamp">NICs that stamp NTP packets in hardware; no interfaces leaves it off.</param>
/// <param name="User">The user a server started as root becomes once everything is bound; null stays who it is.</param>
/// <param name="AllowRoot">A server started as root with no <paramref name="User"/> keeps serving as root instead of refusing to start.</param>
public sealed partial record ServerSettings(
    IReadOnlyList<IPEndPoint> Listen, int Workers, byte? LocalStratum, bool PinWorkers, EngineKind Engine, XdpSettings Xdp,
    HwTimestampSettings HwTimestamp, string? User, bool AllowRoot)
{
    /// <summary>
    /// Answer interleaved requests (chrony's <c>xleave</c>) with the previous reply's kernel transmit time. Off by
    /// default: it stamps every reply's departure, basic-mode clients' too, which costs every request CPU.
    /// </summary>
    public bool Interleaved { get; init; }

    internal static ServerSettings From(ServerOptions o, SettingsErrors errors)
    {
        var listen = new List<IPEndPoint>();
        foreach (string text in o.Listen)
        {
            if (EndpointParser.TryParseAddress(text, ProtocolConstants.NtpPort, out IPEndPoint? endpoint)) listen.Add(endpoint);
            else errors.Add("Server:Listen", $"'{text}' is not ADDR:PORT (IPv6 as [ADDR]:PORT)");
        }

        if (o.Listen.Count == 0)
        {
            listen.Add(new IPEndPoint(IPAddress.Any, ProtocolConstants.NtpPort));
            listen.Add(new IPEndPoint(IPAddress.IPv6Any, ProtocolConstants.NtpPort));
        }

        if (o.Workers is < 0 or > 1024) errors.Add("Server:Workers", $"{o.Workers} is not 0 (one per core) to 1024");
        if (o.LocalStratum is < 1 or > 15) errors.Add("Server:LocalStratum", $"{o.LocalStratum} is not 1 to 15");
        EngineKind engine = errors.OneOf("Server:Engine", o.Engine,
            ("auto", EngineKind.Auto), ("linux", EngineKind.Linux), ("portable", EngineKind.Portable));

        string? user = string.IsNullOrEmpty(o.User) ? null : o.User;
        if (user is not null && !UserName().IsMatch(user)) errors.Add("Server:User", $"'{user}' is not a user name");

        return new ServerSettings(
            listen, o.Workers > 0 ? o.Workers : Environment.ProcessorCount, (byte?)o.LocalStratum, o.PinWorkers, engine,
            XdpSettings.From(o.Xdp, errors), HwTimestampSettings.From(o.HwTimestamp, errors), user, o.AllowRoot)
        {
            Interleaved = o.Interleaved,
        };
    }

    /// <summary>The names useradd accepts (at most 32 characters, no leading digit or dash).</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$")]
    private static partial Regex UserName();
}

/// <param name="Interfaces">Network interfaces on which plain NTP is answered in the driver.</param>
/// <param name="Mode">How the program attaches: native where the driver supports it (auto), native, or generic.</param>
/// <param name="AfXdp">Whether requests with extension fields (NTS) reach the C# responder through AF_XDP sockets.</param>
/// <param name="Queues">Receive queues per interface with an AF_XDP socket (and worker thread): queues 0 to Queues - 1.</param>
/// <param name="FrameCount">Frames in each socket's UMEM (a power of two); every ring holds as many.</param>
/// <param name="Copy">How the AF_XDP sockets bind: zero-copy where the driver offers it (auto), copy, or zero-copy.</param>
public sealed record XdpSettings(IReadOnlyList<string> Interfaces, XdpAttachMode Mode, bool AfXdp, int Queues, int FrameCount, XskBindMode Copy)
{
    public const int MaxQueues = 64;
    internal static XdpSettings From(XdpOptions o, SettingsErrors errors)
    {
        foreach (string name in o.Interfaces)
        {
            if (!InterfaceName.IsValid(name))
                errors.Add("Server:Xdp:Interfaces", $"'{name}' is not a network interface name");
        }

        XdpAttachMode mode = errors.OneOf("Server:Xdp:Mode", o.Mode,
            ("auto", XdpAttachMode.Auto), ("native", XdpAttachMode.Native), ("generic", XdpAttachMode.Generic));
        if (o.Queues is < 1 or > MaxQueues) errors.Add("Server:Xdp:Queues", $"{o.Queues} is not 1 to {MaxQueues}");
        if (o.FrameCount is < 64 or > 65536 || (o.FrameCount & (o.FrameCount - 1)) != 0)
            errors.Add("Server:Xdp:FrameCount", $"{o.FrameCount} is not a power of two from 64 to 65536");
        XskBindMode copy = errors.OneOf("Server:Xdp:Copy", o.Copy,
            ("auto", XskBindMode.Auto), ("copy", XskBindMode.Copy), ("zero-copy", XskBindMode.ZeroCopy));
        return new XdpSettings(o.Interfaces.ToArray(), mode, o.AfXdp, o.Queues, o.FrameCount, copy);
    }
}
