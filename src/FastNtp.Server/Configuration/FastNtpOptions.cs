namespace FastNtp.Server.Configuration;

/// <summary>
/// Everything an operator can set. Each property is reachable as a JSON key ("Server": { "Workers": 2 }),
/// an environment variable (FASTNTP__SERVER__WORKERS=2) and, for the common ones, a command-line option.
/// </summary>
public sealed class FastNtpOptions
{
    public ServerOptions Server { get; set; } = new();
    public SyncOptions Sync { get; set; } = new();
    public ClockOptions Clock { get; set; } = new();
    public NtsOptions Nts { get; set; } = new();
    public MetricsOptions Metrics { get; set; } = new();
}

public sealed class ServerOptions
{
    /// <summary>ADDR:PORT endpoints to answer on; IPv6 in brackets. Empty means the NTP port on all addresses.</summary>
    public List<string> Listen { get; set; } = [];
    /// <summary>Worker threads per listen address; 0 means one per core.</summary>
    public int Workers { get; set; }
    /// <summary>Serve a free-running local clock at this stratum (1–15) while no upstream source is selected.</summary>
    public int? LocalStratum { get; set; }
    /// <summary>Pin each worker thread to its own core (Linux engine).</summary>
    public bool PinWorkers { get; set; }
    /// <summary>auto (Linux batch engine where available), linux, or portable (System.Net.Sockets).</summary>
    public string Engine { get; set; } = "auto";
    /// <summary>The XDP driver path in front of the engine.</summary>
    public XdpOptions Xdp { get; set; } = new();
}

public sealed class XdpOptions
{
    /// <summary>Network interfaces on which plain NTP is answered in the driver; empty leaves XDP off.</summary>
    public List<string> Interfaces { get; set; } = [];
    /// <summary>auto (native where the driver supports it), native, or generic.</summary>
    public string Mode { get; set; } = "auto";
}

public sealed class SyncOptions
{
    /// <summary>HOST[:PORT][,nts] upstream sources.</summary>
    public List<string> Upstream { get; set; } = [];
    public int MinPoll { get; set; } = 6;
    public int MaxPoll { get; set; } = 10;
    /// <summary>Agreeing sources required before the server calls itself synchronized; default 1 with one source, else 2.</summary>
    public int? MinSources { get; set; }
    /// <summary>PEM CA bundle that NTS upstreams' certificates must chain to; the system store when unset.</summary>
    public string? NtsCa { get; set; }
}

public sealed class ClockOptions
{
    /// <summary>none (observe only), kernel (discipline the system clock), or follow-kernel.</summary>
    public string Control { get; set; } = "none";
    /// <summary>With control none: largest measured offset, in seconds, at which the server still advertises synchronized.</summary>
    public double MaxOffset { get; set; } = 0.010;
    /// <summary>With control kernel: a start-up offset above this many seconds is stepped rather than slewed.</summary>
    public double StepThreshold { get; set; } = 0.128;
    /// <summary>With control kernel: an offset above this many seconds is never corrected.</summary>
    public double PanicThreshold { get; set; } = 1000;
    /// <summary>With control follow-kernel: the stratum to advertise.</summary>
    public int Stratum { get; set; } = 1;
    /// <summary>With control follow-kernel: the reference id to advertise (up to four ASCII characters).</summary>
    public string ReferenceId { get; set; } = "GPS";
}

public sealed class NtsOptions
{
    /// <summary>ADDR:PORT for the NTS-KE (TLS 1.3) listener; empty disables NTS.</summary>
    public string? KeListen { get; set; }
    public string? Cert { get; set; }
    public string? Key { get; set; }
    /// <summary>Fleet root secret from `fastntp keygen`; without it a random in-memory secret is used.</summary>
    public string? KeyFile { get; set; }
    /// <summary>Cookie master key lifetime.</summary>
    public TimeSpan Rotation { get; set; } = TimeSpan.FromDays(1);
    /// <summary>How many previous epochs' cookies are still accepted.</summary>
    public int StaleEpochs { get; set; } = 7;
    /// <summary>NTP server name and port NTS-KE hands out when the NTP service lives elsewhere.</summary>
    public string? NtpServer { get; set; }
    public int? NtpPort { get; set; }
}

public sealed class MetricsOptions
{
    /// <summary>ADDR:PORT for the HTTP endpoint serving /metrics and /status; empty disables it.</summary>
    public string? Listen { get; set; }
}
