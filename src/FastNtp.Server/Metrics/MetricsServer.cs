using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FastNtp.Protocol.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Metrics;

/// <summary>
/// A small HTTP endpoint for monitoring: Prometheus text at /metrics, the JSON status document at /status and
/// the client log at /clients. It reads counters and tables on demand, so the packet path does no work for it.
/// </summary>
public sealed class MetricsServer(IPEndPoint endpoint, Func<StatusReport> report, Func<ClientLogReport> clients) : IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        WebApplication app = builder.Build();
        app.MapGet("/metrics", () => Results.Text(Prometheus(report()), "text/plain; version=0.0.4", Encoding.UTF8));
        app.MapGet("/status", () => Results.Text(JsonSerializer.Serialize(report(), StatusJsonContext.Default.StatusReport), "application/json", Encoding.UTF8));
        app.MapGet("/clients", () => Results.Text(JsonSerializer.Serialize(clients(), StatusJsonContext.Default.ClientLogReport), "application/json", Encoding.UTF8));
        await app.StartAsync().ConfigureAwait(false);
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    private static void NtsKe(StringBuilder text, Nts.NtsKeCounters ke, Action<string, string, string, double, string> metric)
    {
        metric("fastntp_ntske_active_connections", "gauge", "NTS-KE connections being served.", ke.ActiveConnections, "");
        metric("fastntp_ntske_refused_busy_total", "counter", "NTS-KE connections closed at once because the connection limit was reached.", ke.RefusedBusy, "");
        metric("fastntp_ntske_refused_total", "counter", "NTS-KE connections refused by address before the handshake.", ke.Refused, "");
        text.Append("# HELP fastntp_ntske_over_limit_total NTS-KE connections closed before the handshake by a per-address limit, by reason.\n# TYPE fastntp_ntske_over_limit_total counter\n");
        foreach ((string reason, long count) in ke.OverLimit)
            text.Append(CultureInfo.InvariantCulture, $"fastntp_ntske_over_limit_total{{reason=\"{reason}\"}} {count}\n");
        metric("fastntp_ntske_handshakes_total", "counter", "NTS-KE TLS handshakes completed with ALPN ntske/1.", ke.HandshakesOk, "");
        text.Append("# HELP fastntp_ntske_handshake_failures_total NTS-KE handshakes that failed, by reason.\n# TYPE fastntp_ntske_handshake_failures_total counter\n");
        foreach ((string reason, long count) in ke.HandshakesFailed)
            text.Append(CultureInfo.InvariantCulture, $"fastntp_ntske_handshake_failures_total{{reason=\"{reason}\"}} {count}\n");
        text.Append("# HELP fastntp_ntske_requests_total NTS-KE requests by outcome; all but KeysIssued were rejected.\n# TYPE fastntp_ntske_requests_total counter\n");
        foreach ((string outcome, long count) in ke.Exchanges)
            text.Append(CultureInfo.InvariantCulture, $"fastntp_ntske_requests_total{{outcome=\"{outcome}\"}} {count}\n");
        metric("fastntp_ntske_cookies_issued_total", "counter", "Cookies issued by NTS-KE.", ke.CookiesIssued, "");
        metric("fastntp_ntske_connection_errors_total", "counter", "NTS-KE connections lost to a transport or TLS error after the handshake, before the request was complete.", ke.ConnectionErrors, "");
        metric("fastntp_ntske_faults_total", "counter", "NTS-KE connections ended by an unexpected exception (a bug).", ke.Faults, "");
        metric("fastntp_ntske_certificate_reloads_total", "counter", "Certificate and key reloads.", ke.CertificateReloads, "");
    }

    /// <summary>The Prometheus text exposition format, version 0.0.4.</summary>
    public static string Prometheus(StatusReport r)
    {
        var text = new StringBuilder();
        void Metric(string name, string type, string help, double value, string labels = "")
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {value}\n");
        }

        CounterTotals c = r.Counters;
        Metric("fastntp_requests_received_total", "counter", "NTP requests received.", c.Received);
        Metric("fastntp_responses_sent_total", "counter", "NTP replies sent.", c.Answered);
        text.Append("# HELP fastntp_requests_dropped_total Requests not answered, by reason.\n# TYPE fastntp_requests_dropped_total counter\n");
        foreach ((Protocol.Server.DropReason reason, long count) in c.Dropped)
            text.Append(CultureInfo.InvariantCulture, $"fastntp_requests_dropped_total{{reason=\"{reason}\"}} {count}\n");
        Metric("fastntp_receive_errors_total", "counter", "Socket receive errors.", c.ReceiveErrors);
        Metric("fastntp_send_errors_total", "counter", "Socket send errors.", c.SendErrors);
        Metric("fastntp_receive_batches_total", "counter", "Receive calls that returned packets.", c.Batches);
        text.Append("# HELP fastntp_requests_refused_total Requests the client policy refused (access list, NTS requirement, rate limit), by outcome.\n# TYPE fastntp_requests_refused_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"fastntp_requests_refused_total{{outcome=\"rate_limited_kod\"}} {c.Refused.RateLimitedKod}\n");
        text.Append(CultureInfo.InvariantCulture, $"fastntp_requests_refused_total{{outcome=\"rate_limited_dropped\"}} {c.Refused.RateLimitedDropped}\n");
        text.Append(CultureInfo.InvariantCulture, $"fastntp_requests_refused_total{{outcome=\"denied\"}} {c.Refused.Denied}\n");
        text.Append(CultureInfo.InvariantCulture, $"fastntp_requests_refused_total{{outcome=\"nts_required\"}} {c.Refused.NtsRequired}\n");
        Metric("fastntp_worker_faults_total", "counter", "Packets or batches abandoned after an unexpected exception (a bug); workers survive them.", c.Faults);

        if (r.Nts is { } nts)
        {
            Metric("fastntp_nts_authenticated_total", "counter", "NTS requests authenticated and answered.", nts.Authenticated);
            Metric("fastntp_nts_naks_total", "counter", "NTS NAKs sent: cookie not opened or authenticator failed.", nts.Naks);
            Metric("fastntp_nts_rejected_total", "counter", "Malformed or unauthenticated NTS requests dropped.", nts.Rejected);
            Metric("fastntp_nts_session_cache_misses_total", "counter", "NTS requests whose session keys had to be loaded into a worker's key cache.", nts.SessionCacheMisses);
            if (nts.KeyExchange is { } ke) NtsKe(text, ke, Metric);
        }

        if (r.Sources.Count > 0)
        {
            text.Append("# HELP fastntp_source_offset_seconds Filtered offset of each upstream source (its time minus ours).\n# TYPE fastntp_source_offset_seconds gauge\n");
            foreach (SourceStatus s in r.Sources)
                text.Append(CultureInfo.InvariantCulture, $"fastntp_source_offset_seconds{{address=\"{s.Address}\",state=\"{s.State}\"}} {s.Offset}\n");
            text.Append("# HELP fastntp_source_reach Reach register of each upstream source (255 = the last eight polls answered).\n# TYPE fastntp_source_reach gauge\n");
            foreach (SourceStatus s in r.Sources)
                text.Append(CultureInfo.InvariantCulture, $"fastntp_source_reach{{address=\"{s.Address}\"}} {s.Reach}\n");
        }

        if (r.Xdp is { Counters: var xdp })
        {
            Metric("fastntp_xdp_answered_total", "counter", "Plain NTP requests answered in the driver (XDP).", xdp.Answered);
            text.Append("# HELP fastntp_xdp_passed_total Requests the XDP program left to the kernel, by reason.\n# TYPE fastntp_xdp_passed_total counter\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_passed_total{{reason=\"extensions\"}} {xdp.PassedExtensions}\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_passed_total{{reason=\"stale\"}} {xdp.PassedStale}\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_passed_total{{reason=\"checksum\"}} {xdp.PassedChecksum}\n");
            text.Append("# HELP fastntp_xdp_dropped_total Requests the XDP program dropped, by reason.\n# TYPE fastntp_xdp_dropped_total counter\n");
            foreach ((Protocol.Server.DropReason reason, long count) in xdp.Dropped)
                text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_dropped_total{{reason=\"{reason}\"}} {count}\n");
            text.Append("# HELP fastntp_xdp_refused_total Requests the XDP program refused under the client policy, by outcome.\n# TYPE fastntp_xdp_refused_total counter\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_refused_total{{outcome=\"denied\"}} {xdp.Denied}\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_refused_total{{outcome=\"nts_required\"}} {xdp.NtsRequired}\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_refused_total{{outcome=\"rate_limited_kiss\"}} {xdp.RateLimitedKiss}\n");
            text.Append(CultureInfo.InvariantCulture, $"fastntp_xdp_refused_total{{outcome=\"rate_limited_drop\"}} {xdp.RateLimitedDrop}\n");
            Metric("fastntp_xdp_kod_sent_total", "counter", "Kiss-o'-death replies (RATE, DENY) sent by the XDP program.", xdp.KodSent);
        }

        if (r.Xdp?.AfXdp is { } af)
        {
            Metric("fastntp_afxdp_frames_total", "counter", "Frames the AF_XDP workers took from their RX rings.", af.Frames);
            Metric("fastntp_afxdp_sent_total", "counter", "Reply frames the AF_XDP workers queued for transmit.", af.Sent);
            text.Append("# HELP fastntp_afxdp_frame_errors_total Frames the AF_XDP workers' codec refused, by reason.\n# TYPE fastntp_afxdp_frame_errors_total counter\n");
            foreach ((Protocol.Frames.FrameError reason, long count) in af.FrameErrors)
                text.Append(CultureInfo.InvariantCulture, $"fastntp_afxdp_frame_errors_total{{reason=\"{reason}\"}} {count}\n");
        }

        AdvertisedState a = r.Advertised;
        Metric("fastntp_synchronized", "gauge", "1 while the server advertises synchronized time.", a.Synchronized ? 1 : 0);
        Metric("fastntp_stratum", "gauge", "Advertised stratum.", a.Stratum);
        Metric("fastntp_leap_indicator", "gauge", "Advertised leap indicator (3 = unsynchronized).", a.Leap);
        Metric("fastntp_root_delay_seconds", "gauge", "Advertised root delay.", a.RootDelaySeconds);
        Metric("fastntp_root_dispersion_seconds", "gauge", "Advertised root dispersion now.", a.RootDispersionSeconds);
        return text.ToString();
    }
}
