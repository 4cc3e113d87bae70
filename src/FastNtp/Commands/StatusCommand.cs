using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Configuration;
using FastNtp.Server.Metrics;
using FastNtp.Server.Xdp;

namespace FastNtp.Commands;

/// <summary>`fastntp status`: reads a running server's /status endpoint (enabled by --metrics-listen).</summary>
public static class StatusCommand
{
    public static Command Create() => MetricsTarget.Command(
        "status", "Show a running server's advertised state, counters and sources.", "HOST:PORT", RunAsync);

    private static async Task<int> RunAsync(string target, bool json, CancellationToken cancellation)
    {
        // A name is as good as an address: the listener may sit behind one (localhost, a host's DNS name).
        if (!EndpointParser.TrySplitHostPort(target, 0, out string host, out int port) || port == 0)
        {
            await Console.Error.WriteLineAsync($"fastntp: '{target}' is not HOST:PORT").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        string body;
        try
        {
            body = await http.GetStringAsync(new Uri($"http://{authority}/status"), cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"fastntp: no status from {authority}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Timeout;
        }

        if (json)
        {
            Console.WriteLine(body);
            return ExitCodes.Ok;
        }

        StatusReport? report;
        try
        {
            report = JsonSerializer.Deserialize(body, StatusJsonContext.Default.StatusReport);
        }
        catch (JsonException e)
        {
            await Console.Error.WriteLineAsync($"fastntp: {authority} sent a status document that does not parse: {e.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidReply;
        }

        if (report is null) return ExitCodes.InvalidReply;
        Console.Write(Format(report));
        return ExitCodes.Ok;
    }

    internal static string Format(StatusReport r)
    {
        var text = new StringBuilder();
        AdvertisedState a = r.Advertised;
        text.Append(CultureInfo.InvariantCulture, $"engine {r.Engine}, {r.Workers} worker(s) per address\n");
        text.Append(CultureInfo.InvariantCulture,
            $"advertising: {(a.Synchronized ? "synchronized" : "UNSYNCHRONIZED")} stratum {a.Stratum} refid {a.ReferenceId} leap {a.Leap} " +
            $"root-delay {a.RootDelaySeconds:0.000000} s root-dispersion {a.RootDispersionSeconds:0.000000} s precision 2^{a.Precision}\n");
        text.Append(CultureInfo.InvariantCulture, $"counters: {r.Counters}\n");
        if (r.Nts is { } nts)
        {
            text.Append(CultureInfo.InvariantCulture, $"nts: authenticated={nts.Authenticated} naks={nts.Naks} rejected={nts.Rejected}\n");
            if (nts.KeyExchange is { } ke)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"nts-ke: active={ke.ActiveConnections} handshakes={ke.HandshakesOk} handshake-failures={ke.HandshakesFailedTotal} " +
                    $"keys-issued={ke.ExchangeCount(FastNtp.Protocol.Nts.NtsKeServerOutcome.KeysIssued)} cookies={ke.CookiesIssued} refused-busy={ke.RefusedBusy} over-limit={ke.OverLimitTotal}\n");
            }
        }

        if (r.Xdp is { } xdp)
        {
            XdpCounterTotals c = xdp.Counters;
            string drops = string.Join(", ", c.Dropped.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
            text.Append(CultureInfo.InvariantCulture,
                $"xdp on {string.Join(", ", xdp.Interfaces)}: answered={c.Answered} passed-extensions={c.PassedExtensions} passed-stale={c.PassedStale} passed-checksum={c.PassedChecksum} dropped={c.TotalDropped} ({(drops.Length == 0 ? "none" : drops)}) redirected-unstamped={c.RedirectedUnstamped}\n");
            text.Append(CultureInfo.InvariantCulture,
                $"xdp policy: denied={c.Denied} nts-required={c.NtsRequired} rate-limited-kiss={c.RateLimitedKiss} rate-limited-drop={c.RateLimitedDrop} kod-sent={c.KodSent}\n");
            if (xdp.AfXdp is { } af)
            {
                string errors = string.Join(", ", af.FrameErrors.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
                text.Append(CultureInfo.InvariantCulture,
                    $"af_xdp: sockets={af.Sockets} {(af.ZeroCopy ? "zero-copy" : "copy")} frames={af.Frames} sent={af.Sent} frame-errors={af.TotalFrameErrors} ({(errors.Length == 0 ? "none" : errors)}) wake-errors={af.WakeErrors} unstamped={af.Unstamped}\n");
            }
        }
        if (r.Sources.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{"source",-30} {"state",-12} {"st",2} {"refid",-15} {"reach",5} {"poll",4} {"offset ms",10} {"delay ms",9} {"jitter ms",9}\n");
            foreach (SourceStatus s in r.Sources)
            {
                string name = s.Nts ? $"{s.Address} nts" : s.Address;
                text.Append(CultureInfo.InvariantCulture,
                    $"{name,-30} {s.State,-12} {s.Stratum,2} {s.ReferenceId,-15} {s.ReachOctal,5} {s.Poll,4} {s.Offset * 1e3,10:0.000} {s.Delay * 1e3,9:0.000} {s.Jitter * 1e3,9:0.000}\n");
            }
        }
        return text.ToString();
    }
}
