using FastNtp.Server.Sync;

namespace FastNtp.Server.Configuration;

public sealed class SyncOptions
{
    public List<string> Upstream { get; set; } = [];
    public int MinPoll { get; set; } = 6;
    public int MaxPoll { get; set; } = 10;
    public int? MinSources { get; set; }
    public string? NtsCa { get; set; }
}

/// <param name="MinPoll">Shortest poll interval, log2 seconds.</param>
/// <param name="MaxPoll">Longest poll interval, log2 seconds.</param>
/// <param name="MinSources">Agreeing sources required; null means 1 with one source, else 2.</param>
/// <param name="NtsCa">PEM CA bundle NTS upstreams must chain to; null means the system store.</param>
public sealed record SyncSettings(IReadOnlyList<UpstreamSpec> Upstream, int MinPoll, int MaxPoll, int? MinSources, string? NtsCa)
{
    /// <summary>Sub-second polls exist for tests that must converge quickly; RFC 5905 itself allows 4 to 17.</summary>
    public const int MinimumPoll = -4;
    public const int MaximumPoll = 17;

    internal static SyncSettings From(SyncOptions o, SettingsErrors errors)
    {
        var upstream = new List<UpstreamSpec>();
        foreach (string text in o.Upstream)
        {
            if (UpstreamSpec.TryParse(text, out UpstreamSpec? spec)) upstream.Add(spec);
            else errors.Add("Sync:Upstream", $"'{text}' is not HOST[:PORT][,nts]");
        }

        if (o.MinPoll is < MinimumPoll or > MaximumPoll) errors.Add("Sync:MinPoll", $"{o.MinPoll} is not {MinimumPoll} to {MaximumPoll}");
        if (o.MaxPoll is < MinimumPoll or > MaximumPoll) errors.Add("Sync:MaxPoll", $"{o.MaxPoll} is not {MinimumPoll} to {MaximumPoll}");
        else if (o.MaxPoll < o.MinPoll && o.MinPoll is >= MinimumPoll and <= MaximumPoll) errors.Add("Sync:MaxPoll", $"{o.MaxPoll} is below Sync:MinPoll {o.MinPoll}");
        if (o.MinSources < 1) errors.Add("Sync:MinSources", $"{o.MinSources} is not at least 1");
        if (!string.IsNullOrEmpty(o.NtsCa) && !File.Exists(o.NtsCa)) errors.Add("Sync:NtsCa", $"file not found: {o.NtsCa}");

        return new SyncSettings(upstream, o.MinPoll, o.MaxPoll, o.MinSources, string.IsNullOrEmpty(o.NtsCa) ? null : o.NtsCa);
    }
}
