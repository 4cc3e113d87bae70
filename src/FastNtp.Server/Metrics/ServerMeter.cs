using System.Diagnostics;
using System.Diagnostics.Metrics;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;

namespace FastNtp.Server.Metrics;

/// <summary>
/// The server's figures as System.Diagnostics.Metrics instruments on one <see cref="Meter"/>, "FastNtp", so that
/// Prometheus (through <see cref="MetricsServer"/>) and <c>dotnet-counters</c> read the same thing. Every
/// instrument is observable: it reads the <see cref="StatusReport"/> (per-worker counters summed, NTS-KE, XDP,
/// the synchronizer) when a listener collects, so the packet path does no work for it. Counters that are split
/// by a reason or outcome report every value from 0; worker counters carry the <c>listener</c> they count for.
/// </summary>
public sealed class ServerMeter : IDisposable
{
    public const string MeterName = "FastNtp";

    /// <summary>One collection reads every instrument within microseconds; one report serves them all.</summary>
    private static readonly TimeSpan ReportReuse = TimeSpan.FromMilliseconds(250);

    private readonly Func<StatusReport> _report;
    private readonly Lock _lock = new();
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private StatusReport? _last;
    private long _lastAt;

    public ServerMeter(Func<StatusReport> report)
    {
        _report = report;
        Meter = new Meter(MeterName, typeof(ServerMeter).Assembly.GetName().Version?.ToString());
        CreateServerInstruments();
        CreateWorkerInstruments();
        CreateSourceInstruments();
        CreateNtsInstruments();
        CreateXdpInstruments();
    }

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();

    private StatusReport Report()
    {
        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            if (_last is null || Stopwatch.GetElapsedTime(_lastAt, now) > ReportReuse) (_last, _lastAt) = (_report(), now);
            return _last;
        }
    }

    private void Gauge(string name, string unit, string description, Func<StatusReport, double> read) =>
        Meter.CreateObservableGauge(name, () => read(Report()), unit, description);

    private void Gauges(string name, string unit, string description, Func<StatusReport, IEnumerable<Measurement<double>>> read) =>
        Meter.CreateObservableGauge(name, () => read(Report()), unit, description);

    private void Counters(string name, string unit, string description, Func<StatusReport, IEnumerable<Measurement<long>>> read) =>
        Meter.CreateObservableCounter(name, () => read(Report()), unit, description);

    private static KeyValuePair<string, object?> Tag(string key, object value) => new(key, value);

    private void CreateServerInstruments()
    {
        Gauges("hwtimestamp_active", "{interface}", "1 while a Server:HwTimestamp interface's packets get hardware stamps (enabled, PHC tracked), else 0.",
            r => r.HardwareTimestamps.Select(h => new Measurement<double>(h.Active ? 1 : 0, Tag("interface", h.Interface))));
        Gauges("build_info", "", "Always 1; the version label names the running build.",
            r => [new(1, Tag("version", r.Version))]);
        Gauge("uptime_seconds", "s", "Seconds since the server started.", _ => Stopwatch.GetElapsedTime(_startedAt).TotalSeconds);
        Gauge("synchronized", "", "1 while the server advertises synchronized time.", r => r.Advertised.Synchronized ? 1 : 0);
        Gauge("stratum", "", "Advertised stratum.", r => r.Advertised.Stratum);
        Gauge("leap_indicator", "", "Advertised leap indicator (3 = unsynchronized).", r => r.Advertised.Leap);
        Gauge("root_delay_seconds", "s", "Advertised root delay.", r => r.Advertised.RootDelaySeconds);
        Gauge("root_dispersion_seconds", "s", "Advertised root dispersion now.", r => r.Advertised.RootDispersionSeconds);
    }

    private void CreateWorkerInstruments()
    {
        void PerListener(string name, string description, Func<CounterTotals, long> read) =>
            Counters(name, "{request}", description, r => r.Listeners.Select(l => new Measurement<long>(read(l.Counters), Tag("listener", l.Listener))));

        PerListener("requests_received_total", "NTP requests received.", c => c.Received);
        PerListener("responses_sent_total", "NTP replies sent.", c => c.Answered);
        Counters("requests_dropped_total", "{request}", "Requests not answered, by reason.", r =>
            from l in r.Listeners
            from reason in DropReasonNames
            select new Measurement<long>(l.Counters.Dropped.GetValueOrDefault(reason.Reason), Tag("listener", l.Listener), Tag("reason", reason.Name)));
        PerListener("receive_errors_total", "Socket receive errors.", c => c.ReceiveErrors);
        PerListener("send_errors_total", "Socket send errors.", c => c.SendErrors);
        PerListener("receive_batches_total", "Receive calls that returned packets.", c => c.Batches);
        PerListener("worker_faults_total", "Packets or batches abandoned after an unexpected exception (a bug); workers survive them.", c => c.Faults);
        Counters("requests_refused_total", "{request}", "Requests the client policy refused (access list, NTS requirement, rate limit), by outcome.", r =>
            from l in r.Listeners
            from outcome in new (string, long)[] {
                ("rate_limited_kod", l.Counters.Refused.RateLimitedKod), ("rate_limited_dropped", l.Counters.Refused.RateLimitedDropped),
                ("denied", l.Counters.Refused.Denied), ("nts_required", l.Counters.Refused.NtsRequired) }
            select new Measurement<long>(outcome.Item2, Tag("listener", l.Listener), Tag("outcome", outcome.Item1)));
        Gauges("workers", "{thread}", "Worker threads per listener.", r => r.Listeners.Select(l => new Measurement<double>(l.Workers, Tag("listener", l.Listener))));
    }

    private void CreateSourceInstruments()
    {
        void PerSource(string name, string unit, string description, Func<SourceStatus, double> read) =>
            Gauges(name, unit, description, r => r.Sources.Select(s => new Measurement<double>(read(s), Tag("address", s.Address), Tag("name", s.Name))));

        PerSource("source_offset_seconds", "s", "Filtered offset of each upstream source (its time minus ours).", s => s.Offset);
        PerSource("source_delay_seconds", "s", "Round-trip delay of each upstream source.", s => s.Delay);
        PerSource("source_jitter_seconds", "s", "Jitter of each upstream source.", s => s.Jitter);
        PerSource("source_poll_seconds", "s", "Poll interval of each upstream source.", s => Math.Pow(2, s.Poll));
        PerSource("source_reach", "", "Reach register of each upstream source (255 = the last eight polls answered).", s => s.Reach);
        PerSource("source_stratum", "", "Stratum each upstream source advertises.", s => s.Stratum);
        PerSource("source_state", "", $"Selection state of each upstream source: {SourceStateLegend}.", s => (int)s.State);
    }

    private void CreateNtsInstruments()
    {
        // NTS instruments report nothing while NTS is off.
        void NtsCounter(string name, string description, Func<NtsCounters, long> read) =>
            Counters(name, "{request}", description, r => r.Nts is { } nts ? [new Measurement<long>(read(nts))] : []);

        NtsCounter("nts_authenticated_total", "NTS requests authenticated and answered.", n => n.Authenticated);
        NtsCounter("nts_naks_total", "NTS NAKs sent: cookie not opened or authenticator failed.", n => n.Naks);
        NtsCounter("nts_rejected_total", "Malformed or unauthenticated NTS requests dropped.", n => n.Rejected);
        NtsCounter("nts_session_cache_misses_total", "NTS requests whose session keys had to be loaded into a worker's key cache.", n => n.SessionCacheMisses);

        // NTS-KE instruments likewise while this server runs no NTS-KE listener.
        void KeCounter(string name, string unit, string description, Func<Nts.NtsKeCounters, long> read) =>
            Counters(name, unit, description, r => r.Nts?.KeyExchange is { } ke ? [new Measurement<long>(read(ke))] : []);
        void KeCounters(string name, string label, string description, Func<Nts.NtsKeCounters, IReadOnlyDictionary<string, long>> read) =>
            Counters(name, "{connection}", description, r => r.Nts?.KeyExchange is { } ke
                ? read(ke).Select(p => new Measurement<long>(p.Value, Tag(label, p.Key)))
                : []);

        Meter.CreateObservableUpDownCounter<long>("ntske_active_connections", () => Report().Nts?.KeyExchange is { } ke ? [new Measurement<long>(ke.ActiveConnections)] : [],
            "{connection}", "NTS-KE connections being served.");
        KeCounter("ntske_refused_busy_total", "{connection}", "NTS-KE connections closed at once because the connection limit was reached.", ke => ke.RefusedBusy);
        KeCounter("ntske_refused_total", "{connection}", "NTS-KE connections refused by address before the handshake.", ke => ke.Refused);
        KeCounters("ntske_over_limit_total", "reason", "NTS-KE connections closed before the handshake by a per-address limit, by reason.", ke => ke.OverLimit);
        KeCounter("ntske_handshakes_total", "{connection}", "NTS-KE TLS handshakes completed with ALPN ntske/1.", ke => ke.HandshakesOk);
        KeCounters("ntske_handshake_failures_total", "reason", "NTS-KE handshakes that failed, by reason.", ke => ke.HandshakesFailed);
        KeCounters("ntske_requests_total", "outcome", "NTS-KE requests by outcome; all but KeysIssued were rejected.", ke => ke.Exchanges);
        KeCounter("ntske_cookies_issued_total", "{cookie}", "Cookies issued by NTS-KE.", ke => ke.CookiesIssued);
        KeCounter("ntske_connection_errors_total", "{connection}", "NTS-KE connections lost to a transport or TLS error after the handshake, before the request was complete.", ke => ke.ConnectionErrors);
        KeCounter("ntske_faults_total", "{connection}", "NTS-KE connections ended by an unexpected exception (a bug).", ke => ke.Faults);
        KeCounter("ntske_certificate_reloads_total", "{reload}", "Certificate and key reloads.", ke => ke.CertificateReloads);
        Gauges("ntske_certificate_expiry_seconds", "s", "Seconds until the NTS-KE certificate in use expires (negative once expired).", r =>
            r.Nts?.KeyExchange?.CertificateNotAfter is { } notAfter ? [new Measurement<double>((notAfter - r.GeneratedAt).TotalSeconds)] : []);
    }

    private void CreateXdpInstruments()
    {

        // XDP instruments report nothing while no XDP program is attached.
        void XdpCounters(string name, string description, Func<Xdp.XdpCounterTotals, IEnumerable<(string Label, string Value, long Count)>> read) =>
            Counters(name, "{request}", description, r => r.Xdp is { Counters: var xdp }
                ? read(xdp).Select(x => new Measurement<long>(x.Count, Tag(x.Label, x.Value)))
                : []);

        Counters("xdp_answered_total", "{request}", "Plain NTP requests answered in the driver (XDP).",
            r => r.Xdp is { Counters: var xdp } ? [new Measurement<long>(xdp.Answered)] : []);
        XdpCounters("xdp_passed_total", "Requests the XDP program left to the kernel, by reason.",
            xdp => [("reason", "extensions", xdp.PassedExtensions), ("reason", "stale", xdp.PassedStale), ("reason", "checksum", xdp.PassedChecksum)]);
        XdpCounters("xdp_dropped_total", "Requests the XDP program dropped, by reason.",
            xdp => DropReasonNames.Select(d => ("reason", d.Name, xdp.Dropped.GetValueOrDefault(d.Reason))));
        XdpCounters("xdp_refused_total", "Requests the XDP program refused under the client policy, by outcome.",
            xdp => [("outcome", "denied", xdp.Denied), ("outcome", "nts_required", xdp.NtsRequired),
                ("outcome", "rate_limited_kiss", xdp.RateLimitedKiss), ("outcome", "rate_limited_drop", xdp.RateLimitedDrop)]);
        Counters("xdp_kod_sent_total", "{reply}", "Kiss-o'-death replies (RATE, DENY) sent by the XDP program.",
            r => r.Xdp is { Counters: var xdp } ? [new Measurement<long>(xdp.KodSent)] : []);
        Counters("xdp_redirected_unstamped_total", "{request}", "Requests the XDP program redirected to AF_XDP without their receive time (the driver had no room for metadata).",
            r => r.Xdp is { Counters: var xdp } ? [new Measurement<long>(xdp.RedirectedUnstamped)] : []);

        Counters("afxdp_frames_total", "{frame}", "Frames the AF_XDP workers took from their RX rings.",
            r => r.Xdp?.AfXdp is { } af ? [new Measurement<long>(af.Frames)] : []);
        Counters("afxdp_sent_total", "{frame}", "Reply frames the AF_XDP workers queued for transmit.",
            r => r.Xdp?.AfXdp is { } af ? [new Measurement<long>(af.Sent)] : []);
        Counters("afxdp_unstamped_total", "{frame}", "Frames the AF_XDP workers answered with their pick-up clock reading as receive time: no valid XDP stamp, or one out of bounds.",
            r => r.Xdp?.AfXdp is { } af ? [new Measurement<long>(af.Unstamped)] : []);
        Counters("afxdp_frame_errors_total", "{frame}", "Frames the AF_XDP workers' codec refused, by reason.",
            r => r.Xdp?.AfXdp is { } af
                ? Enum.GetValues<FrameError>().Where(e => e != default).Select(e => new Measurement<long>(af.FrameErrors.GetValueOrDefault(e), Tag("reason", e.ToString())))
                : []);
    }

    /// <summary>Every drop reason but None, with its label value.</summary>
    private static readonly (DropReason Reason, string Name)[] DropReasonNames =
        [.. Enum.GetValues<DropReason>().Where(r => r != DropReason.None).Select(r => (r, r.ToString()))];

    private static readonly string SourceStateLegend =
        string.Join(", ", Enum.GetValues<SourceState>().Select(s => $"{(int)s} {s.ToString().ToLowerInvariant()}"));
}
