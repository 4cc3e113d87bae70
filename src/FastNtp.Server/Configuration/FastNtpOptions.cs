using FastNtp.Protocol.Policy;

namespace FastNtp.Server.Configuration;

/// <summary>
/// The configuration as the binder fills it, strings and all, before validation. Each property is reachable as
/// a JSON key ("Server": { "Workers": 2 }) and an environment variable (FASTNTP__SERVER__WORKERS=2); the
/// defaults live here. <see cref="FastNtpSettings.From(FastNtpOptions)"/> turns it into the typed settings everything else uses.
/// </summary>
/// <remarks>
/// A section is one file, <c>Configuration/NameSection.cs</c>: the <c>NameOptions</c> class the binder fills, the
/// <c>NameSettings</c> record the server reads, and the record's <c>From</c> that checks and converts. Adding one
/// means that file, a property here and in <see cref="FastNtpSettings"/>, and its rows in <see cref="OptionTable"/>.
/// </remarks>
public sealed class FastNtpOptions
{
    public ServerOptions Server { get; set; } = new();
    public SyncOptions Sync { get; set; } = new();
    public ClockOptions Clock { get; set; } = new();
    public NtsOptions Nts { get; set; } = new();
    public MetricsOptions Metrics { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public AccessOptions Access { get; set; } = new();
    public NtsKeOptions NtsKe { get; set; } = new();
    public LoggingOptions Logging { get; set; } = new();
}

/// <summary>Validated settings, immutable: endpoints parsed, names turned into enums, defaults applied.</summary>
public sealed record FastNtpSettings(
    ServerSettings Server, SyncSettings Sync, ClockSettings Clock, NtsSettings Nts, MetricsSettings Metrics,
    RateLimitSettings RateLimit, AccessSettings Access, NtsKeSettings NtsKe, LoggingSettings Logging)
{
    /// <summary>The rate limit, access and interleaved-mode settings as the per-worker client policy takes them.</summary>
    public ClientPolicyOptions ClientPolicy => new()
    {
        RateLimitEnabled = RateLimit.Enabled,
        Interval = RateLimit.Interval,
        Burst = RateLimit.Burst,
        KodShare = RateLimit.KodShare,
        Entries = RateLimit.Entries,
        Ipv6Prefix = RateLimit.Ipv6Prefix,
        DenyAction = Access.DenyAction,
        RequireNts = Access.RequireNts,
        Interleaved = Server.Interleaved,
    };

    /// <summary>Validates every section; throws one <see cref="ConfigurationException"/> listing every problem.</summary>
    public static FastNtpSettings From(FastNtpOptions options)
    {
        var errors = new SettingsErrors();
        FastNtpSettings settings = From(options, errors);
        errors.ThrowIfAny();
        return settings;
    }

    /// <summary>Validates every section, adding each problem to <paramref name="errors"/>; the result is usable only when there are none.</summary>
    internal static FastNtpSettings From(FastNtpOptions options, SettingsErrors errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new FastNtpSettings(
            ServerSettings.From(options.Server, errors),
            SyncSettings.From(options.Sync, errors),
            ClockSettings.From(options.Clock, errors),
            NtsSettings.From(options.Nts, errors),
            MetricsSettings.From(options.Metrics, errors),
            RateLimitSettings.From(options.RateLimit, errors),
            AccessSettings.From(options.Access, errors),
            NtsKeSettings.From(options.NtsKe, errors),
            LoggingSettings.From(options.Logging, errors));
        errors.AddLines(settings.ClientPolicy.Validate());
        if (settings.Access.RequireNts && !settings.Nts.Enabled)
            errors.Add("Access:RequireNts", "NTS is off (no Nts:KeListen and no Nts:KeyFile), so every request would be refused");
        return settings;
    }
}
