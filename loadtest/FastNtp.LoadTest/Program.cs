using System.CommandLine;
using System.Globalization;
using System.Net;
using FastNtp.Crypto;
using FastNtp.LoadTest;
using FastNtp.Protocol;
using FastNtp.Protocol.Frames;
using FastNtp.Server.Nts;
using Spectre.Console;

// fastntp-load: an ntpperf-style load generator for NTP servers on this host's loopback.
var target = new Option<string>("--target", "-t") { Description = "Server ADDR:PORT (loopback only unless --allow-non-loopback), e.g. 127.0.0.1:12300 or [::1]:12300.", DefaultValueFactory = _ => $"127.0.0.1:{ProtocolConstants.NtpPort}" };
var clients = new Option<int>("--clients", "-c") { Description = "Simulated clients: UDP sockets, each with its own source port.", DefaultValueFactory = _ => 64 };
var threads = new Option<int>("--threads", "-j") { Description = "Load threads, each with its own sockets and sendmmsg/recvmmsg loop.", DefaultValueFactory = _ => 1 };
var rate = new Option<double?>("--rate", "-r") { Description = "Fixed offered rate in requests/s (one step). Exclusive with --step-*." };
var stepStart = new Option<double?>("--step-start") { Description = "First rate of a stepped run, requests/s." };
var stepMult = new Option<double>("--step-mult") { Description = "Rate multiplier between steps.", DefaultValueFactory = _ => 1.5 };
var stepMax = new Option<double?>("--step-max") { Description = "Last (highest) rate of a stepped run, requests/s." };
var duration = new Option<double>("--duration", "-d", "--step-duration") { Description = "Seconds per step.", DefaultValueFactory = _ => 5 };
var warmup = new Option<double>("--warmup") { Description = "Unreported seconds at the first step's rate before the first step.", DefaultValueFactory = _ => 1 };
var drain = new Option<double>("--drain") { Description = "Seconds after each step that only collect replies.", DefaultValueFactory = _ => 0.3 };
var maxTotal = new Option<double>("--max-total") { Description = "Refuse schedules longer than this many seconds.", DefaultValueFactory = _ => LoadSettings.DefaultMaxTotal.TotalSeconds };
var batch = new Option<int>("--batch") { Description = "Messages per sendmmsg/recvmmsg call.", DefaultValueFactory = _ => 64 };
var burstWindow = new Option<double>("--burst") { Description = "Microseconds of requests sent together: one sendmmsg, or one burst of the XDP sender (bursts never exceed --batch).", DefaultValueFactory = _ => LoadSettings.DefaultBurst.TotalMicroseconds };
var socketBuffer = new Option<int>("--socket-buffer") { Description = "SO_RCVBUF/SO_SNDBUF bytes per client socket.", DefaultValueFactory = _ => 4 << 20 };
var maxSkew = new Option<double>("--max-skew") { Description = "Seconds a reply's transmit time may differ from this host's clock before it is invalid.", DefaultValueFactory = _ => 10 };
var label = new Option<string?>("--label") { Description = "Name of the server under test in outputs." };
var csv = new Option<FileInfo?>("--csv") { Description = "Write per-step figures as CSV." };
var json = new Option<FileInfo?>("--json") { Description = "Write the run as JSON (input of the chart command)." };
var svg = new Option<FileInfo?>("--svg") { Description = "Write an SVG chart of offered rate against answered rate and loss." };
var plain = new Option<bool>("--plain") { Description = "Plain progress lines even on a terminal." };
var serverPid = new Option<int?>("--server-pid") { Description = "PID of the server under test: its CPU time (/proc/PID/stat, all threads) is sampled at each step's start and end, and each step reports its CPU use and answered requests per server CPU-second." };
var serverCpu = new Option<int?>("--server-cpu") { Description = "The CPU the server is pinned to: its busy time (/proc/stat: user, nice, system, irq, softirq) is sampled at each step's start and end, and each step reports how busy it was and answered requests per busy CPU-second, counting work outside the server process (softirq, NAPI threads, an XDP program)." };
var nts = new Option<bool>("--nts") { Description = "Send NTS-protected requests (RFC 8915): NTS-KE once per load thread, then a unique identifier, a cookie and an authenticator in every request; replies must authenticate." };
var ntskePort = new Option<int>("--ntske-port") { Description = "NTS-KE port of the target's address (with --nts).", DefaultValueFactory = _ => ProtocolConstants.NtsKePort };
var caFile = new Option<FileInfo?>("--ca") { Description = "CA certificates (PEM) to verify the NTS-KE server with; default: the system store." };
var ntsAlgorithm = new Option<int>("--nts-algorithm") { Description = "AEAD to ask for in NTS-KE: 15 (AES-SIV-CMAC-256) or 30 (AES-128-GCM-SIV).", DefaultValueFactory = _ => 15 };
var ntsPlaceholders = new Option<int>("--nts-placeholders") { Description = "Cookie placeholders per NTS request (0-7); the server answers each with one more cookie.", DefaultValueFactory = _ => 0 };
var raw = new Option<string?>("--raw") { Description = "Raw-frame mode: send Ethernet frames on this interface (the generator's end of a veth pair into a network namespace you created) with an AF_PACKET socket, and count replies on it (see --raw-sample). Plain NTP, or NTS with --nts (requests built before the run). Needs --raw-dst-mac, --allow-non-loopback, one thread, CAP_NET_RAW, and CAP_BPF and CAP_NET_ADMIN for the reply sink." };
var rawDstMac = new Option<string?>("--raw-dst-mac") { Description = "Raw-frame mode: the server's MAC address (the next hop toward --target), e.g. 02:00:00:00:00:02." };
var rawClient = new Option<string?>("--raw-client") { Description = "Raw-frame mode: the first client source address (default 10.201.0.1, or fd00:201::1 for an IPv6 target); the server must route replies to these addresses back through the interface." };
var rawSample = new Option<int>("--raw-sample") { Description = "Raw-frame mode: count every reply in the generator's driver with the reply sink (an XDP program on --raw's interface that checks and drops them) and verify 1 in N fully in user space (a power of two); 0 verifies every reply in user space, without the sink (about 250,000 replies/s at most).", DefaultValueFactory = _ => 64 };
var rawSender = new Option<string>("--raw-sender") { Description = "Raw-frame mode: what sends the requests. packet: one AF_PACKET socket (sendmmsg; every request an skb; plain NTP and NTS). xdp: an XDP program run by BPF_PROG_RUN in live-frames mode builds each request in a kernel page and hands it to the driver (no skb; NTS requests are the ones built before the run, copied into a BPF map per step; kernel 5.18+, CAP_BPF and CAP_NET_ADMIN; set /sys/kernel/rcu_expedited to 1, or each call's RCU grace period skips about 25 ms of requests).", DefaultValueFactory = _ => "packet" };
var ntsSessions = new Option<int?>("--nts-sessions") { Description = "Raw-frame mode with --nts: NTS-KE exchanges, one per simulated client by default; client c uses exchange c mod N." };
var rawAddresses = new Option<int>("--raw-addresses") { Description = "Raw-frame mode: consecutive client source addresses from --raw-client; clients beyond that share addresses with other source ports.", DefaultValueFactory = _ => 256 };
var sourceAddresses = new Option<int>("--source-addresses") { Description = "IPv4 loopback targets: spread the clients over this many source addresses from 127.1.0.1 (client i on address i mod N), so the server sees that many distinct clients; 0 (default) sends from 127.0.0.1." };
var allowNonLoopback = new Option<bool>("--allow-non-loopback") { Description = "Allow a target outside 127.0.0.0/8 and ::1 (only for a server in a network namespace you created)." };

var root = new RootCommand("Drives an NTP server with many simulated clients at fixed or stepped rates and reports, per step, requests, replies, loss, invalid replies and latency percentiles.");
foreach (Option o in new Option[] { target, clients, threads, rate, stepStart, stepMult, stepMax, duration, warmup, drain, maxTotal, batch, burstWindow, socketBuffer, maxSkew, label, csv, json, svg, plain, serverPid, serverCpu, nts, ntskePort, caFile, ntsAlgorithm, ntsPlaceholders, raw, rawDstMac, rawClient, rawAddresses, rawSample, rawSender, ntsSessions, sourceAddresses, allowNonLoopback })
    root.Options.Add(o);

root.SetAction(parse =>
{
    if (!IPEndPoint.TryParse(parse.GetValue(target)!, out IPEndPoint? endpoint))
        return Fail($"--target {parse.GetValue(target)}: expected ADDR:PORT.");
    // An IPv4-mapped IPv6 target is an IPv4 server; plain IPv4 sockets reach it without a dual-stack detour.
    if (endpoint.Address.IsIPv4MappedToIPv6) endpoint = new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port);

    IReadOnlyList<LoadStep> steps;
    try
    {
        var stepDuration = TimeSpan.FromSeconds(parse.GetValue(duration));
        double? fixedRate = parse.GetValue(rate);
        double? start = parse.GetValue(stepStart);
        double? max = parse.GetValue(stepMax);
        if (fixedRate is not null && (start is not null || max is not null))
            return Fail("--rate and --step-start/--step-max are exclusive.");
        if (fixedRate is null && (start is null || max is null))
            return Fail("Give either --rate, or both --step-start and --step-max.");
        steps = fixedRate is { } r
            ? RateSchedule.Fixed(r, stepDuration)
            : RateSchedule.Stepped(start!.Value, parse.GetValue(stepMult), max!.Value, stepDuration);
    }
    catch (ArgumentOutOfRangeException e)
    {
        return Fail(e.Message);
    }

    var drainTime = TimeSpan.FromSeconds(parse.GetValue(drain));
    var warmupTime = TimeSpan.FromSeconds(parse.GetValue(warmup));
    string? error = LoadSettings.Validate(endpoint, parse.GetValue(allowNonLoopback), parse.GetValue(clients), parse.GetValue(threads),
        steps, drainTime, warmupTime, TimeSpan.FromSeconds(parse.GetValue(maxTotal)), parse.GetValue(batch));
    if (error is not null) return Fail(error);
    int spread = parse.GetValue(sourceAddresses);
    if (spread != 0 && (spread is < 1 or > LoadSettings.MaxSourceAddresses || endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !LoadSettings.IsLoopback(endpoint.Address)))
        return Fail($"--source-addresses: 1 to {LoadSettings.MaxSourceAddresses}, and only toward an IPv4 loopback target.");
    int? pid = parse.GetValue(serverPid);
    if (pid is <= 0) return Fail("--server-pid must be a process ID.");
    if (pid is { } p && ProcessCpu.TryReadSeconds(p) is null) return Fail($"--server-pid {p}: no such process (cannot read /proc/{p}/stat).");
    int? core = parse.GetValue(serverCpu);
    if (core is { } c && (c < 0 || CoreCpu.TryReadBusySeconds(c) is null)) return Fail($"--server-cpu {c}: no such CPU in /proc/stat.");

    IReadOnlyList<NtsKeResult>? sessions = null;
    int placeholders = parse.GetValue(ntsPlaceholders);
    string mode = "ntp";
    string? rawMode = null;
    RawFrameOptions? rawOptions = null;
    if (parse.GetValue(raw) is { } rawInterface)
    {
        if (!MacAddress.TryParse(parse.GetValue(rawDstMac), out MacAddress destinationMac))
            return Fail("--raw-dst-mac: expected the server's MAC address, e.g. 02:00:00:00:00:02.");
        string macFile = Path.Combine("/sys/class/net", rawInterface, "address");
        if (rawInterface.Contains('/', StringComparison.Ordinal) || !File.Exists(macFile)) return Fail($"--raw {rawInterface}: no such interface.");
        if (!MacAddress.TryParse(File.ReadAllText(macFile).Trim(), out MacAddress sourceMac)) return Fail($"--raw {rawInterface}: not an Ethernet interface.");
        string firstClientText = parse.GetValue(rawClient) ?? (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "fd00:201::1" : "10.201.0.1");
        if (!IPAddress.TryParse(firstClientText, out IPAddress? firstClient)) return Fail($"--raw-client {firstClientText}: expected an IP address.");
        if (!Enum.TryParse(parse.GetValue(rawSender), ignoreCase: true, out RawSender sender) || !Enum.IsDefined(sender))
            return Fail($"--raw-sender {parse.GetValue(rawSender)}: expected packet or xdp.");
        if (sender == RawSender.Xdp && XdpRequestSender.CompiledObject() is null)
            return Fail("--raw-sender xdp: this build has no XDP sender (clang and libbpf-dev were missing when it was built).");
        rawOptions = new RawFrameOptions(rawInterface, sourceMac, destinationMac, firstClient, parse.GetValue(rawAddresses), parse.GetValue(rawSample), sender);
        int entries = steps.Count + (warmupTime > TimeSpan.Zero ? 1 : 0);
        if (RawFrameOptions.Validate(rawOptions, endpoint, parse.GetValue(clients), parse.GetValue(threads), entries) is { } rawError) return Fail(rawError);
        if (rawOptions.Sample > 0 && ReplySink.CompiledObject() is null)
            return Fail("--raw-sample: this build has no reply sink (clang and libbpf-dev were missing when it was built); use --raw-sample 0.");
        rawMode = (sender == RawSender.Xdp ? $"raw frames on {rawInterface} from the XDP sender" : $"raw frames on {rawInterface} from a packet socket")
            + (rawOptions.Sample > 0 ? $", reply sink verifying 1 in {rawOptions.Sample} fully" : "");
        if (sender == RawSender.Xdp && !XdpRequestSender.ExpeditedRcu)
            Console.Error.WriteLine("fastntp-load: /sys/kernel/rcu_expedited is 0: the XDP sender pauses about 25 ms per call and skips what falls due meanwhile (see the skipped column).");
        mode = "ntp, " + rawMode;
    }

    if (parse.GetValue(ntsSessions) is not null && (rawOptions is null || !parse.GetValue(nts)))
        return Fail("--nts-sessions is for --raw with --nts (UDP mode runs one NTS-KE exchange per thread).");
    if (parse.GetValue(nts))
    {
        int algorithmId = parse.GetValue(ntsAlgorithm);
        if (algorithmId is not (15 or 30)) return Fail("--nts-algorithm must be 15 (AES-SIV-CMAC-256) or 30 (AES-128-GCM-SIV).");
        if (placeholders is < 0 or > NtsLoadSession.MaxPlaceholders) return Fail($"--nts-placeholders must be between 0 and {NtsLoadSession.MaxPlaceholders}.");
        int kePort = parse.GetValue(ntskePort);
        if (kePort is < 1 or > 65535) return Fail("--ntske-port must be between 1 and 65535.");
        int exchanges = rawOptions is null ? parse.GetValue(threads) : parse.GetValue(ntsSessions) ?? parse.GetValue(clients);
        if (exchanges < 1) return Fail("--nts-sessions must be at least 1.");
        try
        {
            sessions = KeyExchanges(endpoint, kePort, parse.GetValue(caFile)?.FullName, (AeadAlgorithm)algorithmId, exchanges);
        }
        catch (NtsKeException e)
        {
            return Fail(e.Message, exitCode: 1);
        }

        mode = $"nts {sessions[0].Algorithm}, {placeholders} placeholders" + (rawMode is null ? "" : $", {sessions.Count} NTS-KE sessions, {rawMode}");
    }

    var settings = new LoadSettings(endpoint, parse.GetValue(clients), parse.GetValue(threads), steps, drainTime, parse.GetValue(batch),
        parse.GetValue(socketBuffer), TimeSpan.FromSeconds(parse.GetValue(maxSkew)), parse.GetValue(label) ?? endpoint.ToString(), warmupTime,
        TimeSpan.FromMicroseconds(Math.Max(0, parse.GetValue(burstWindow))), sessions, placeholders, pid, rawOptions, core, spread);
    var info = new RunInfo(settings.Label, endpoint.ToString(), settings.Clients, settings.Threads, MachineDescription(),
        DateTimeOffset.UtcNow, "fastntp-load " + string.Join(' ', args), mode, pid);

    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };

    // Redirected output has no terminal width; a wide virtual one keeps the summary table readable in logs.
    if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
    bool live = !parse.GetValue(plain) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    Console.WriteLine($"fastntp-load: {settings.Label} at {endpoint} ({mode}), {settings.Clients} clients on {settings.Threads} thread(s), {steps.Count} step(s) of {steps[0].Duration.TotalSeconds:0.##} s");
    IReadOnlyList<StepResult> results;
    try
    {
        results = live ? RunLive(settings, cancel.Token) : RunPlain(settings, cancel.Token);
    }
    catch (LoadSetupException e)
    {
        return Fail(e.Message, exitCode: 1);
    }

    var run = new RunResult(info, results);
    AnsiConsole.Write(SummaryTable(run));
    var best = StepResult.BestStep(results, 1.0);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best answered rate under 1% loss: {best?.AnsweredRate ?? 0:0} requests/s") +
        (best?.RequestsPerServerCpuSecond is { } perCpu
            ? string.Create(CultureInfo.InvariantCulture, $", at {perCpu:0} requests per server CPU-second (server CPU {best.ServerCpuPercent:0.#}%; user {Format(best.ServerUserNanosecondsPerRequest, "0")} ns, kernel {Format(best.ServerKernelNanosecondsPerRequest, "0")} ns per request)")
            : ""));

    if (parse.GetValue(csv) is { } csvFile) File.WriteAllText(csvFile.FullName, ResultWriters.ToCsv(run));
    if (parse.GetValue(json) is { } jsonFile) File.WriteAllText(jsonFile.FullName, ResultWriters.ToJson(run));
    if (parse.GetValue(svg) is { } svgFile && results.Count > 0)
        File.WriteAllText(svgFile.FullName, SvgChart.Render([run], $"fastntp-load: {settings.Label}"));
    return cancel.IsCancellationRequested ? 130 : 0;
});

var chartOut = new Option<FileInfo>("--out", "-o") { Description = "SVG file to write.", Required = true };
var chartTitle = new Option<string>("--title") { Description = "Chart title.", DefaultValueFactory = _ => "NTP throughput: offered rate vs answered rate and loss" };
var chartInputs = new Argument<FileInfo[]>("results") { Description = "JSON files written by --json; one line per file.", Arity = ArgumentArity.OneOrMore };
var chart = new Command("chart", "Draws several runs (e.g. one per server) into one SVG chart.") { chartOut, chartTitle, chartInputs };
chart.SetAction(parse =>
{
    var runs = new List<RunResult>();
    foreach (FileInfo f in parse.GetValue(chartInputs)!)
    {
        try
        {
            runs.Add(ResultWriters.FromJson(File.ReadAllText(f.FullName)));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return Fail($"{f.Name}: {e.Message}");
        }
    }

    File.WriteAllText(parse.GetValue(chartOut)!.FullName, SvgChart.Render(runs, parse.GetValue(chartTitle)!));
    return 0;
});
root.Subcommands.Add(chart);

var keTarget = new Option<string>("--target", "-t") { Description = "NTS-KE server ADDR:PORT (loopback only unless --allow-non-loopback); its certificate must name ADDR.", DefaultValueFactory = _ => $"127.0.0.1:{ProtocolConstants.NtsKePort}" };
var keClients = new Option<int>("--clients", "-c") { Description = "Concurrent clients, each with its own TLS client context, one exchange at a time.", DefaultValueFactory = _ => 8 };
var keDuration = new Option<double>("--duration", "-d") { Description = "Seconds during which clients start new exchanges.", DefaultValueFactory = _ => 10 };
var keTimeout = new Option<double>("--timeout") { Description = "Seconds one exchange may take before it counts as a Timeout failure.", DefaultValueFactory = _ => 5 };
var keMaxTotal = new Option<double>("--max-total") { Description = "Refuse runs that may take longer than this many seconds (duration + timeout).", DefaultValueFactory = _ => LoadSettings.DefaultMaxTotal.TotalSeconds };
var keCa = new Option<FileInfo?>("--ca") { Description = "CA certificates (PEM) to verify the server with; default: the system store." };
var keAlgorithm = new Option<int?>("--nts-algorithm") { Description = "Offer only this AEAD: 15 (AES-SIV-CMAC-256) or 30 (AES-128-GCM-SIV); default: the client's usual list." };
var keServerPid = new Option<int?>("--server-pid") { Description = "PID of the server under test: its CPU time (user and kernel, /proc/PID/stat) over the run is reported per exchange." };
var keRate = new Option<double>("--rate", "-r") { Description = "Exchanges started per second, summed over clients (0: each client runs its exchanges back to back).", DefaultValueFactory = _ => 0 };
var keLabel = new Option<string?>("--label") { Description = "Name of the server under test in outputs." };
var keCsv = new Option<FileInfo?>("--csv") { Description = "Write the figures as CSV." };
var keJson = new Option<FileInfo?>("--json") { Description = "Write the figures as JSON (\"kind\": \"ntske\")." };
var keAllow = new Option<bool>("--allow-non-loopback") { Description = "Allow a target outside 127.0.0.0/8 and ::1 (only for a server in a network namespace you created)." };
var ntske = new Command("ntske", "NTS-KE handshake load: concurrent clients run full NTS-KE exchanges (TCP, TLS 1.3, ALPN ntske/1, request, cookies, close) back to back for a bounded time and report exchanges/s, failures by kind, latency and server CPU per exchange.")
{
    keTarget, keClients, keDuration, keTimeout, keMaxTotal, keCa, keAlgorithm, keRate, keServerPid, keLabel, keCsv, keJson, keAllow,
};
ntske.SetAction(parse =>
{
    if (!IPEndPoint.TryParse(parse.GetValue(keTarget)!, out IPEndPoint? endpoint))
        return Fail($"--target {parse.GetValue(keTarget)}: expected ADDR:PORT.");
    if (endpoint.Address.IsIPv4MappedToIPv6) endpoint = new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port);
    var runTime = TimeSpan.FromSeconds(parse.GetValue(keDuration));
    var exchangeTimeout = TimeSpan.FromSeconds(parse.GetValue(keTimeout));
    string? error = NtsKeLoadSettings.Validate(endpoint, parse.GetValue(keAllow), parse.GetValue(keClients), runTime, exchangeTimeout,
        TimeSpan.FromSeconds(parse.GetValue(keMaxTotal)), parse.GetValue(keRate));
    if (error is not null) return Fail(error);
    int? pid = parse.GetValue(keServerPid);
    if (pid is <= 0) return Fail("--server-pid must be a process ID.");
    if (pid is { } p && ProcessCpu.TryRead(p) is null) return Fail($"--server-pid {p}: no such process (cannot read /proc/{p}/stat).");
    IReadOnlyList<AeadAlgorithm>? offered = null;
    if (parse.GetValue(keAlgorithm) is { } id)
    {
        if (id is not (15 or 30)) return Fail("--nts-algorithm must be 15 (AES-SIV-CMAC-256) or 30 (AES-128-GCM-SIV).");
        offered = [(AeadAlgorithm)id];
    }

    var settings = new NtsKeLoadSettings(endpoint, parse.GetValue(keClients), runTime, parse.GetValue(keCa)?.FullName, exchangeTimeout,
        parse.GetValue(keLabel) ?? endpoint.ToString(), pid, offered, Rate: parse.GetValue(keRate));
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };

    if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"fastntp-load ntske: {settings.Label} at {endpoint}, {settings.Clients} clients{(settings.Rate > 0 ? $" at {settings.Rate:0.##} exchanges/s" : "")} for {runTime.TotalSeconds:0.##} s"));
    NtsKeLoadResult result;
    try
    {
        result = new NtsKeLoadRunner(settings).Run(
            pr => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{pr.ElapsedSeconds,6:0.0}s exchanges {pr.Exchanges,8} ({(pr.ElapsedSeconds > 0 ? pr.Exchanges / pr.ElapsedSeconds : 0),8:0.0}/s) failures {pr.Failures}")),
            "fastntp-load " + string.Join(' ', args), MachineDescription(), cancel.Token);
    }
    catch (NtsKeException e)
    {
        return Fail(e.Message, exitCode: 1);
    }

    AnsiConsole.Write(new Table().Title(Markup.Escape($"{result.Label}: NTS-KE, {result.Clients} clients"))
        .AddColumns("window s", "exchanges", "exchanges/s", "failures", "p50 ms", "p99 ms", "max ms", "srv CPU %", "srv CPU µs/exch", "srv usr µs/exch", "srv sys µs/exch", "gen CPU %")
        .AddRow(result.WindowSeconds.ToString("0.00", CultureInfo.InvariantCulture), result.Exchanges.ToString(CultureInfo.InvariantCulture),
            result.ExchangesPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
            result.FailureCount == 0 ? "0" : $"{result.FailureCount} ({result.DescribeFailures()})",
            (result.P50Nanoseconds / 1e6).ToString("0.00", CultureInfo.InvariantCulture), (result.P99Nanoseconds / 1e6).ToString("0.00", CultureInfo.InvariantCulture),
            (result.MaxNanoseconds / 1e6).ToString("0.00", CultureInfo.InvariantCulture), Format(result.ServerCpuPercent, "0.0"),
            Format(result.ServerCpuMicrosecondsPerExchange, "0"), Format(result.ServerUserMicrosecondsPerExchange, "0"),
            Format(result.ServerKernelMicrosecondsPerExchange, "0"), Format(result.GeneratorCpuPercent, "0.0")));
    if (parse.GetValue(keCsv) is { } csvOut) File.WriteAllText(csvOut.FullName, result.ToCsv());
    if (parse.GetValue(keJson) is { } jsonOut) File.WriteAllText(jsonOut.FullName, result.ToJson());
    return cancel.IsCancellationRequested ? 130 : 0;
});
root.Subcommands.Add(ntske);

return root.Parse(args).Invoke();

// One line on standard error; exit code 2 for settings refused before the run, 1 for a run that failed.
static int Fail(string message, int exitCode = 2)
{
    Console.Error.WriteLine($"fastntp-load: {message}");
    return exitCode;
}

static IReadOnlyList<StepResult> RunPlain(LoadSettings settings, CancellationToken cancel)
{
    var runner = new LoadRunner(settings);
    return runner.Run(
        _ => { },
        s => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {s.Index + 1}/{settings.Steps.Count} offered {s.OfferedRate,10:0} sent {s.Sent,9} replies {s.Replies,9} loss {s.LossPercent,7:0.000}% invalid {s.Invalid} p50 {s.P50Nanoseconds / 1000.0:0.0}us p99 {s.P99Nanoseconds / 1000.0:0.0}us p99.9 {s.P999Nanoseconds / 1000.0:0.0}us") + SinkText(s) + CpuText(s)),
        cancel);
}

static IReadOnlyList<StepResult> RunLive(LoadSettings settings, CancellationToken cancel)
{
    Table table = new Table().AddColumns("step", "offered/s", "sent", "replies", "loss %", "invalid", "p50 µs", "p99 µs", "p99.9 µs", "srv CPU %", "req/srv CPU-s", "srv usr ns/req", "srv sys ns/req");
    IReadOnlyList<StepResult> results = [];
    AnsiConsole.Live(table).Start(ctx =>
    {
        var runner = new LoadRunner(settings);
        int liveRow = -1;
        results = runner.Run(
            p =>
            {
                string[] cells =
                [
                    p.Step.Index < 0 ? $"warm-up ({p.ElapsedSeconds:0.0}s)" : $"{p.Step.Index + 1}/{p.StepCount} ({p.ElapsedSeconds:0.0}s)", p.Step.Rate.ToString("0", CultureInfo.InvariantCulture),
                    p.Sent.ToString(CultureInfo.InvariantCulture), p.Replies.ToString(CultureInfo.InvariantCulture),
                    (p.Sent > 0 ? 100.0 * Math.Max(0, p.Sent - p.Replies) / p.Sent : 0).ToString("0.00", CultureInfo.InvariantCulture),
                    p.Invalid.ToString(CultureInfo.InvariantCulture), "…", "…", "…",
                    Format(p.ServerCpuPercent, "0.0"), Format(p.RequestsPerServerCpuSecond, "0"),
                    Format(p.ServerUserNanosecondsPerRequest, "0"), Format(p.ServerKernelNanosecondsPerRequest, "0"),
                ];
                if (liveRow < 0)
                {
                    table.AddRow(cells);
                    liveRow = table.Rows.Count - 1;
                }
                else
                {
                    for (int i = 0; i < cells.Length; i++) table.UpdateCell(liveRow, i, cells[i]);
                }

                ctx.Refresh();
            },
            s =>
            {
                if (liveRow >= 0) table.Rows.RemoveAt(liveRow);
                liveRow = -1;
                table.AddRow(StepCells(s, settings.Steps.Count));
                ctx.Refresh();
            },
            cancel);
    });
    return results;
}

static string[] StepCells(StepResult s, int count) =>
[
    $"{s.Index + 1}/{count}", s.OfferedRate.ToString("0", CultureInfo.InvariantCulture), s.Sent.ToString(CultureInfo.InvariantCulture),
    s.Replies.ToString(CultureInfo.InvariantCulture), s.LossPercent.ToString("0.000", CultureInfo.InvariantCulture),
    s.Invalid.ToString(CultureInfo.InvariantCulture), (s.P50Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture),
    (s.P99Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture), (s.P999Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture),
    Format(s.ServerCpuPercent, "0.0"), Format(s.RequestsPerServerCpuSecond, "0"),
    Format(s.ServerUserNanosecondsPerRequest, "0"), Format(s.ServerKernelNanosecondsPerRequest, "0"),
];

static string Format(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

static string SinkText(StepResult s) =>
    s.Sampled == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" late {s.Late} sink-sampled {s.Sampled} verified {s.Verified}") +
        (s.InvalidReasons.Length > 0 ? $" ({s.InvalidReasons})" : "");

static string CpuText(StepResult s) =>
    (s.SendErrors > 0 ? string.Create(CultureInfo.InvariantCulture, $" send errors {s.SendErrors}") : "") +
    (s.ServerCoreBusySeconds is null ? "" : string.Create(CultureInfo.InvariantCulture, $" server core busy {s.ServerCoreBusyPercent:0.0}% {Format(s.RequestsPerServerCoreSecond, "0")} req/busy core-s")) +
    (s.ServerCpuSeconds is null
        ? ""
        : string.Create(CultureInfo.InvariantCulture, $" server CPU {s.ServerCpuPercent:0.0}% {Format(s.RequestsPerServerCpuSecond, "0")} req/CPU-s user {Format(s.ServerUserNanosecondsPerRequest, "0")} ns/req kernel {Format(s.ServerKernelNanosecondsPerRequest, "0")} ns/req generator CPU {Format(s.GeneratorCpuPercent, "0.0")}%"));

// NTS-KE once per load thread (raw-frame mode: per simulated client, or --nts-sessions): each gets its own keys and
// cookies, as separate clients would.
static IReadOnlyList<NtsKeResult> KeyExchanges(IPEndPoint target, int port, string? ca, AeadAlgorithm algorithm, int count)
{
    var sessions = new List<NtsKeResult>(count);
    for (int t = 0; t < count; t++)
    {
        NtsKeResult session = NtsKeClient.ExchangeAsync(target.Address.ToString(), port, ca, TimeSpan.FromSeconds(10), [algorithm], target.Port)
            .GetAwaiter().GetResult();
        if (session.Algorithm != algorithm)
            throw new NtsKeException(NtsKeFailure.BadResponse, $"NTS-KE with {target.Address}:{port} chose AEAD {(ushort)session.Algorithm}, not {(ushort)algorithm}.");
        // NTP goes to --target; a server naming another port is told about, not followed (the generator is loopback-only).
        if (t == 0 && session.NtpPort != target.Port)
            Console.Error.WriteLine($"fastntp-load: note: NTS-KE names NTP port {session.NtpPort}; sending to --target {target} as given.");
        sessions.Add(session);
    }

    return sessions;
}

static Table SummaryTable(RunResult run)
{
    Table table = new Table().Title(Markup.Escape($"{run.Info.Label}: {run.Info.Clients} clients, {run.Info.Threads} thread(s)"))
        .AddColumns("step", "offered/s", "sent", "replies", "answered/s", "loss %", "invalid", "kod", "late", "p50 µs", "p99 µs", "p99.9 µs",
            "srv CPU %", "req/srv CPU-s", "srv usr ns/req", "srv sys ns/req", "gen CPU %");
    foreach (StepResult s in run.Steps)
    {
        table.AddRow(
            $"{s.Index + 1}", s.OfferedRate.ToString("0", CultureInfo.InvariantCulture), s.Sent.ToString(CultureInfo.InvariantCulture),
            s.Replies.ToString(CultureInfo.InvariantCulture), s.AnsweredRate.ToString("0", CultureInfo.InvariantCulture),
            s.LossPercent.ToString("0.000", CultureInfo.InvariantCulture), s.Invalid.ToString(CultureInfo.InvariantCulture),
            s.KissOfDeath.ToString(CultureInfo.InvariantCulture), s.Late.ToString(CultureInfo.InvariantCulture),
            (s.P50Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture),
            (s.P99Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture),
            (s.P999Nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture),
            Format(s.ServerCpuPercent, "0.0"), Format(s.RequestsPerServerCpuSecond, "0"),
            Format(s.ServerUserNanosecondsPerRequest, "0"), Format(s.ServerKernelNanosecondsPerRequest, "0"), Format(s.GeneratorCpuPercent, "0.0"));
    }

    return table;
}

static string MachineDescription()
{
    string model = "unknown CPU";
    try
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("model name", StringComparison.Ordinal))
            {
                model = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                break;
            }
        }
    }
    catch (IOException)
    {
        // Not Linux or no procfs: the model stays unknown.
    }

    return $"{model}, {Environment.ProcessorCount} CPUs";
}
