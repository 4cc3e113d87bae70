using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FastNtp.Crypto;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using FastNtp.Server.Nts;

namespace FastNtp.LoadTest;

/// <summary>What one NTS-KE handshake load run needs, already validated (see <see cref="NtsKeLoadSettings.Validate"/>).</summary>
/// <param name="Clients">Concurrent clients; each holds one TLS client context and runs one exchange at a time.</param>
/// <param name="Algorithms">AEADs offered, most preferred first; null offers the client's defaults.</param>
/// <param name="ExpectedCookies">An exchange that brings fewer cookies than this is counted as a failure (RFC 8915 servers send 8).</param>
/// <param name="Rate">Exchanges started per second, summed over clients and spread evenly between them; 0 runs them back to back.</param>
internal sealed record NtsKeLoadSettings(
    IPEndPoint Target,
    int Clients,
    TimeSpan Duration,
    string? CaFile,
    TimeSpan Timeout,
    string Label,
    int? ServerPid = null,
    IReadOnlyList<AeadAlgorithm>? Algorithms = null,
    int ExpectedCookies = 8,
    double Rate = 0)
{
    /// <summary>One line naming what is wrong, or null when the settings can run.</summary>
    public static string? Validate(IPEndPoint target, bool allowNonLoopback, int clients, TimeSpan duration, TimeSpan timeout, TimeSpan maxTotal,
        double rate = 0)
    {
        if (!allowNonLoopback && !LoadSettings.IsLoopback(target.Address))
            return $"--target {target}: only loopback targets (127.0.0.0/8, ::1) are allowed without --allow-non-loopback.";
        if (target.Port == 0) return "--target: the port must not be 0.";
        if (clients is < 1 or > 1024) return "--clients must be between 1 and 1024.";
        if (duration <= TimeSpan.Zero) return "--duration must be positive.";
        if (timeout <= TimeSpan.Zero) return "--timeout must be positive.";
        if (!double.IsFinite(rate) || rate < 0) return "--rate must be 0 (back to back) or a positive number of exchanges per second.";
        // An exchange still running at the end may take up to the timeout to finish.
        if (duration + timeout > maxTotal)
            return $"The run may take {(duration + timeout).TotalSeconds:0.#} s (duration + timeout), more than --max-total {maxTotal.TotalSeconds:0.#} s.";
        return null;
    }
}

/// <summary>Live figures of an NTS-KE load run, summed over clients.</summary>
internal readonly record struct NtsKeProgress(double ElapsedSeconds, long Exchanges, long Failures);

/// <summary>The outcome of an NTS-KE handshake load run.</summary>
/// <param name="WindowSeconds">From the start until the last client finished its last exchange (exchanges begun before the end complete).</param>
/// <param name="Failures">Failed exchanges by kind: the <see cref="NtsKeFailure"/> names, and "FewCookies".</param>
/// <param name="Server">The server's CPU over the window, when its PID was given.</param>
internal sealed record NtsKeLoadResult(
    string Label,
    string Target,
    int Clients,
    string Machine,
    DateTimeOffset Started,
    string CommandLine,
    double WindowSeconds,
    long Exchanges,
    long Cookies,
    IReadOnlyDictionary<string, long> Failures,
    long P50Nanoseconds,
    long P99Nanoseconds,
    long MaxNanoseconds,
    CpuTimes? Server,
    double? GeneratorCpuSeconds,
    int? ServerPid)
{
    public const string FewCookies = "FewCookies";

    public long FailureCount => Failures.Values.Sum();

    /// <summary>Successful exchanges per second of the run's window.</summary>
    public double ExchangesPerSecond => WindowSeconds > 0 ? Exchanges / WindowSeconds : 0;

    public double? ServerCpuPercent => Server is { } s && WindowSeconds > 0 ? 100 * s.TotalSeconds / WindowSeconds : null;

    public double? GeneratorCpuPercent => GeneratorCpuSeconds is double g && WindowSeconds > 0 ? 100 * g / WindowSeconds : null;

    /// <summary>Server CPU-seconds per successful exchange (user + kernel), in microseconds.</summary>
    public double? ServerCpuMicrosecondsPerExchange => PerExchange(Server?.TotalSeconds);

    public double? ServerUserMicrosecondsPerExchange => PerExchange(Server?.UserSeconds);

    public double? ServerKernelMicrosecondsPerExchange => PerExchange(Server?.SystemSeconds);

    private double? PerExchange(double? seconds) => seconds is double s && Exchanges > 0 ? s * 1e6 / Exchanges : null;

    /// <summary>"Tls=3, Timeout=1"; empty when there were none.</summary>
    public string DescribeFailures() =>
        string.Join(", ", Failures.Where(f => f.Value > 0).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));

    public const string CsvHeader =
        "label,clients,window_s,exchanges,exchanges_per_s,failures,failure_kinds,cookies,p50_us,p99_us,max_us,server_cpu_s,server_user_cpu_s,server_system_cpu_s,server_cpu_pct,server_cpu_us_per_exchange,server_user_us_per_exchange,server_kernel_us_per_exchange,generator_cpu_pct";

    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append(CsvHeader).Append('\n');
        sb.Append(CultureInfo.InvariantCulture,
            $"{Csv(Label)},{Clients},{WindowSeconds:0.###},{Exchanges},{ExchangesPerSecond:0.#},{FailureCount},{Csv(DescribeFailures())},{Cookies},{P50Nanoseconds / 1000.0:0.#},{P99Nanoseconds / 1000.0:0.#},{MaxNanoseconds / 1000.0:0.#},{Opt(Server?.TotalSeconds, "0.##")},{Opt(Server?.UserSeconds, "0.##")},{Opt(Server?.SystemSeconds, "0.##")},{Opt(ServerCpuPercent, "0.#")},{Opt(ServerCpuMicrosecondsPerExchange, "0.#")},{Opt(ServerUserMicrosecondsPerExchange, "0.#")},{Opt(ServerKernelMicrosecondsPerExchange, "0.#")},{Opt(GeneratorCpuPercent, "0.#")}");
        sb.Append('\n');
        return sb.ToString();
    }

    private static string Opt(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>JSON with "kind": "ntske", so tools reading result files tell it from a staircase run.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", "ntske");
            w.WriteString("label", Label);
            w.WriteString("target", Target);
            w.WriteNumber("clients", Clients);
            w.WriteString("machine", Machine);
            w.WriteString("started", Started);
            w.WriteString("command", CommandLine);
            if (ServerPid is { } pid) w.WriteNumber("server_pid", pid);
            else w.WriteNull("server_pid");
            w.WriteNumber("window_s", Math.Round(WindowSeconds, 3));
            w.WriteNumber("exchanges", Exchanges);
            w.WriteNumber("exchanges_per_s", Math.Round(ExchangesPerSecond, 1));
            w.WriteNumber("cookies", Cookies);
            w.WriteNumber("failures", FailureCount);
            w.WriteStartObject("failures_by_kind");
            foreach (KeyValuePair<string, long> f in Failures.OrderBy(f => f.Key, StringComparer.Ordinal))
                if (f.Value > 0) w.WriteNumber(f.Key, f.Value);
            w.WriteEndObject();
            w.WriteNumber("p50_ns", P50Nanoseconds);
            w.WriteNumber("p99_ns", P99Nanoseconds);
            w.WriteNumber("max_ns", MaxNanoseconds);
            Optional(w, "server_cpu_s", Server?.TotalSeconds, 2);
            Optional(w, "server_user_cpu_s", Server?.UserSeconds, 2);
            Optional(w, "server_system_cpu_s", Server?.SystemSeconds, 2);
            Optional(w, "server_cpu_pct", ServerCpuPercent, 1);
            Optional(w, "server_cpu_us_per_exchange", ServerCpuMicrosecondsPerExchange, 1);
            Optional(w, "server_user_us_per_exchange", ServerUserMicrosecondsPerExchange, 1);
            Optional(w, "server_kernel_us_per_exchange", ServerKernelMicrosecondsPerExchange, 1);
            Optional(w, "generator_cpu_pct", GeneratorCpuPercent, 1);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value, int decimals)
    {
        if (value is { } v) w.WriteNumber(name, Math.Round(v, decimals));
        else w.WriteNull(name);
    }
}

/// <summary>
/// NTS-KE handshake load: <see cref="NtsKeLoadSettings.Clients"/> clients each run full NTS-KE exchanges (TCP
/// connect, TLS 1.3 with ALPN ntske/1, request, cookies, close) back to back until the duration is over. Each
/// client builds its TLS client context once; every exchange is a fresh connection and a full handshake (the
/// client never offers a session to resume).
/// </summary>
internal sealed class NtsKeLoadRunner
{
    private static readonly int FailureKinds = Enum.GetValues<NtsKeFailure>().Length;

    private readonly NtsKeLoadSettings _settings;
    private long _exchanges;
    private long _failures;

    public NtsKeLoadRunner(NtsKeLoadSettings settings)
    {
        _settings = settings;
    }

    /// <param name="onProgress">Called about once a second from the calling thread.</param>
    /// <exception cref="NtsKeException">The TLS client context could not be built (e.g. an unreadable CA file).</exception>
    public NtsKeLoadResult Run(Action<NtsKeProgress> onProgress, string commandLine, string machine, CancellationToken cancel)
    {
        // Contexts first: a bad CA file is an error of the run, not thousands of failed exchanges.
        var contexts = new List<TlsContext>(_settings.Clients);
        try
        {
            for (int c = 0; c < _settings.Clients; c++) contexts.Add(CreateContext(_settings.CaFile));
            var sampler = new CpuSampler(_settings.ServerPid);
            DateTimeOffset started = DateTimeOffset.UtcNow;
            CpuSample before = sampler.Sample();
            long start = Stopwatch.GetTimestamp();
            long end = start + (long)(_settings.Duration.TotalSeconds * Stopwatch.Frequency);
            var clients = new ClientState[_settings.Clients];
            var tasks = new Task[_settings.Clients];
            for (int c = 0; c < clients.Length; c++)
            {
                clients[c] = new ClientState(FailureKinds);
                ClientState state = clients[c];
                TlsContext context = contexts[c];
                int client = c;
                tasks[c] = Task.Run(() => ClientLoopAsync(context, state, client, start, end, cancel), CancellationToken.None);
            }

            var all = Task.WhenAll(tasks);
            while (!all.Wait(TimeSpan.FromSeconds(1)))
                onProgress(new NtsKeProgress(Stopwatch.GetElapsedTime(start).TotalSeconds, Interlocked.Read(ref _exchanges), Interlocked.Read(ref _failures)));
            all.GetAwaiter().GetResult();

            double window = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var cpu = CpuSample.Between(before, sampler.Sample());
            var latency = new LatencyHistogram();
            long exchanges = 0, cookies = 0;
            var failures = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (ClientState s in clients)
            {
                latency.Add(s.Latency);
                exchanges += s.Exchanges;
                cookies += s.Cookies;
                for (int k = 0; k < FailureKinds; k++) Count(failures, ((NtsKeFailure)k).ToString(), s.FailuresByKind[k]);
                Count(failures, NtsKeLoadResult.FewCookies, s.FailuresByKind[FailureKinds]);
            }

            return new NtsKeLoadResult(_settings.Label, _settings.Target.ToString(), _settings.Clients, machine, started, commandLine, window,
                exchanges, cookies, failures, latency.ValueAtQuantile(0.50), latency.ValueAtQuantile(0.99), latency.Count == 0 ? 0 : latency.Max,
                cpu.Server, cpu.GeneratorSeconds, _settings.ServerPid);
        }
        finally
        {
            foreach (TlsContext c in contexts) c.Dispose();
        }
    }

    private static void Count(Dictionary<string, long> failures, string kind, long n)
    {
        if (n > 0) failures[kind] = failures.GetValueOrDefault(kind) + n;
    }

    private static TlsContext CreateContext(string? caFile)
    {
        try
        {
            return TlsContext.CreateClient(caFile, NtsKeMessage.Alpn);
        }
        catch (OpenSslException e)
        {
            throw new NtsKeException(NtsKeFailure.Tls, e.Message, e);
        }
    }

    private async Task ClientLoopAsync(TlsContext context, ClientState state, int client, long start, long end, CancellationToken cancel)
    {
        string host = _settings.Target.Address.ToString();
        int port = _settings.Target.Port;
        // With a rate, client c starts its k-th exchange at (k * clients + c) / rate seconds after the start, so the
        // clients take turns; one that falls behind starts its next exchange at once and does not catch up in a burst.
        double interval = _settings.Rate > 0 ? Stopwatch.Frequency * _settings.Clients / _settings.Rate : 0;
        long next = start + (long)(interval * client / _settings.Clients);
        // Bounded by the duration; an exchange begun before the end runs to completion or to its timeout. Without a rate
        // every client runs at least one: on a busy machine a client may start only after a short run's end.
        do
        {
            if (interval > 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (next > now)
                {
                    if (next >= end) return;
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)(next - now) / Stopwatch.Frequency), cancel).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                next = Math.Max(next, now) + (long)interval;
            }

            long t0 = Stopwatch.GetTimestamp();
            try
            {
                NtsKeResult result = await NtsKeClient.ExchangeAsync(context, host, port, _settings.Timeout, _settings.Algorithms,
                    cancellationToken: cancel).ConfigureAwait(false);
                long elapsed = (long)Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
                if (result.Cookies.Count < _settings.ExpectedCookies)
                {
                    state.FailuresByKind[FailureKinds]++;
                    Interlocked.Increment(ref _failures);
                    continue;
                }

                state.Latency.Record(Math.Min(elapsed, LatencyHistogram.MaxValue));
                state.Exchanges++;
                state.Cookies += result.Cookies.Count;
                Interlocked.Increment(ref _exchanges);
            }
            catch (NtsKeException e)
            {
                state.FailuresByKind[(int)e.Failure]++;
                Interlocked.Increment(ref _failures);
                // A server that refuses at once would otherwise be hammered in a tight loop until the end.
                if (e.Failure == NtsKeFailure.Network) await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
        }
        while (!cancel.IsCancellationRequested && Stopwatch.GetTimestamp() < end);
    }

    /// <summary>One client's figures; written only by its own (sequential) loop, read once it has finished.</summary>
    private sealed class ClientState(int failureKinds)
    {
        public readonly LatencyHistogram Latency = new();
        public readonly long[] FailuresByKind = new long[failureKinds + 1];
        public long Exchanges;
        public long Cookies;
    }
}
