using System.Net;

namespace FastNtp.Server.Configuration;

/// <summary>Checks values the binder cannot: ranges, formats, and settings that only make sense together.</summary>
public static class OptionsValidator
{
    public const int DefaultNtpPort = 123;
    /// <summary>RFC 8915's port for NTS-KE.</summary>
    public const int DefaultNtsKePort = 4460;
    /// <summary>Sub-second polls exist for tests that must converge quickly; RFC 5905 itself allows 4 to 17.</summary>
    public const int MinimumPoll = -4;
    public const int MaximumPoll = 17;

    public static void Validate(FastNtpOptions options)
    {
        ServerOptions server = options.Server;
        foreach (string listen in server.Listen)
        {
            if (!EndpointParser.TryParseAddress(listen, DefaultNtpPort, out _))
                Fail("--listen", $"'{listen}' is not ADDR:PORT (IPv6 as [ADDR]:PORT)");
        }

        if (server.Workers is < 0 or > 1024) Fail("--workers", $"{server.Workers} is not 0 (one per core) to 1024");
        if (server.LocalStratum is { } stratum && stratum is < 1 or > 15) Fail("--local-stratum", $"{stratum} is not 1 to 15");
        if (server.Engine is not ("auto" or "linux" or "portable"))
            Fail("Server:Engine", $"'{server.Engine}' is not auto, linux or portable");
        foreach (string name in server.Xdp.Interfaces)
        {
            // IFNAMSIZ is 16 with the terminating NUL.
            if (name.Length is 0 or > 15 || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
                Fail("--xdp", $"'{name}' is not a network interface name");
        }

        if (server.Xdp.Mode is not ("auto" or "native" or "generic"))
            Fail("Server:Xdp:Mode", $"'{server.Xdp.Mode}' is not auto, native or generic");

        SyncOptions sync = options.Sync;
        foreach (string upstream in sync.Upstream)
        {
            if (!Sync.UpstreamSpec.TryParse(upstream, out _)) Fail("--upstream", $"'{upstream}' is not HOST[:PORT][,nts]");
        }

        if (sync.MinPoll is < MinimumPoll or > MaximumPoll) Fail("Sync:MinPoll", $"{sync.MinPoll} is not {MinimumPoll} to {MaximumPoll}");
        if (sync.MaxPoll is < MinimumPoll or > MaximumPoll) Fail("Sync:MaxPoll", $"{sync.MaxPoll} is not {MinimumPoll} to {MaximumPoll}");
        if (sync.MaxPoll < sync.MinPoll) Fail("Sync:MaxPoll", $"{sync.MaxPoll} is below Sync:MinPoll {sync.MinPoll}");
        if (sync.MinSources is { } min && min < 1) Fail("Sync:MinSources", $"{min} is not at least 1");

        ClockOptions clock = options.Clock;
        if (clock.Control is not ("none" or "kernel" or "follow-kernel"))
            Fail("Clock:Control", $"'{clock.Control}' is not none, kernel or follow-kernel");
        if (!(clock.MaxOffset > 0)) Fail("Clock:MaxOffset", $"{clock.MaxOffset} is not a positive number of seconds");
        if (!(clock.StepThreshold >= 0)) Fail("Clock:StepThreshold", $"{clock.StepThreshold} is negative");
        if (!(clock.PanicThreshold > 0)) Fail("Clock:PanicThreshold", $"{clock.PanicThreshold} is not positive");
        if (clock.Stratum is < 1 or > 15) Fail("Clock:Stratum", $"{clock.Stratum} is not 1 to 15");
        if (clock.ReferenceId.Length is 0 or > 4 || clock.ReferenceId.Any(c => c is < ' ' or > '~'))
            Fail("Clock:ReferenceId", $"'{clock.ReferenceId}' is not one to four printable ASCII characters");

        ValidateNts(options.Nts);

        if (options.Metrics.Listen is { Length: > 0 } metrics && !(EndpointParser.TryParseAddress(metrics, 0, out IPEndPoint? ep) && ep.Port != 0))
            Fail("--metrics-listen", $"'{metrics}' is not ADDR:PORT");
    }

    /// <summary>The NTS settings alone, for code that builds NTS from them without the rest of the options.</summary>
    public static void ValidateNts(NtsOptions nts)
    {
        ArgumentNullException.ThrowIfNull(nts);
        if (nts.KeListen is { Length: > 0 } keListen)
        {
            if (!EndpointParser.TryParseAddress(keListen, DefaultNtsKePort, out _))
                Fail("--nts-ke-listen", $"'{keListen}' is not ADDR:PORT");
            if (string.IsNullOrEmpty(nts.Cert)) Fail("--cert", "NTS-KE needs a certificate chain PEM file");
            if (string.IsNullOrEmpty(nts.Key)) Fail("--key", "NTS-KE needs a private key PEM file");
        }

        if (nts.Rotation < TimeSpan.FromMinutes(1)) Fail("Nts:Rotation", $"{nts.Rotation} is shorter than one minute");
        if (nts.StaleEpochs is < 0 or > 1000) Fail("Nts:StaleEpochs", $"{nts.StaleEpochs} is not 0 to 1000");
        if (nts.NtpPort is { } ntpPort && ntpPort is < 1 or > 65535) Fail("Nts:NtpPort", $"{ntpPort} is not a port");
    }

    private static void Fail(string option, string problem) => throw new ConfigurationException($"{option}: {problem}");
}
