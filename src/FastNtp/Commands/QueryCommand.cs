using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastNtp.Protocol;
using FastNtp.Protocol.Client;
using FastNtp.Server.Client;
using FastNtp.Server.Configuration;
using FastNtp.Server.Nts;

namespace FastNtp.Commands;

/// <summary>`fastntp query HOST[:PORT]`: asks a server for the time and reports what it says, for operators and scripts.</summary>
public static class QueryCommand
{
    public static Command Create()
    {
        var server = new Argument<string>("server") { HelpName = "HOST[:PORT]", Description = "HOST[:PORT] ([ADDR]:PORT for IPv6); port 123 by default" };
        var count = new Option<int>("--count") { HelpName = "N", Description = "number of queries, one second apart", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--timeout") { HelpName = "SECONDS", Description = "seconds to wait for each reply", DefaultValueFactory = _ => 2.0 };
        var json = new Option<bool>("--json") { Description = "print JSON instead of text" };
        var nts = new Option<bool>("--nts") { Description = "authenticate with NTS (RFC 8915): NTS-KE on HOST, then NTS-protected NTP" };
        var ntsKePort = new Option<int>("--ntske-port") { HelpName = "PORT", Description = "NTS-KE port", DefaultValueFactory = _ => ProtocolConstants.NtsKePort };
        var ca = new Option<string>("--ca") { HelpName = "PEM", Description = "with --nts: CA certificate (PEM) instead of the system store" };

        var command = new Command("query", "Query an NTP server (SNTP, or NTS with --nts) and print offset, delay and the server's state.")
        {
            server, count, timeout, json, nts, ntsKePort, ca,
        };
        command.SetAction((parse, cancellation) => RunAsync(
            parse.GetValue(server)!, parse.GetValue(count), parse.GetValue(timeout), parse.GetValue(json),
            parse.GetValue(nts) ? new NtsSettings(parse.GetValue(ntsKePort), parse.GetValue(ca)) : null,
            cancellation));
        return command;
    }

    private sealed record NtsSettings(int KePort, string? CaFile);

    private static async Task<int> RunAsync(
        string target, int count, double timeoutSeconds, bool json, NtsSettings? nts, CancellationToken cancellation)
    {
        if (count is < 1 or > 10_000) return Usage($"--count: {count} is not 1 to 10000");
        if (timeoutSeconds is not (> 0 and <= 60)) return Usage($"--timeout: {timeoutSeconds} is not 0 to 60 seconds");
        if (!EndpointParser.TrySplitHostPort(target, ProtocolConstants.NtpPort, out string host, out int port))
            return Usage($"'{target}' is not HOST[:PORT]");
        if (nts is not null) return await RunNtsAsync(host, port, count, TimeSpan.FromSeconds(timeoutSeconds), json, nts, cancellation).ConfigureAwait(false);

        IPAddress address;
        try
        {
            address = IPAddress.TryParse(host, out IPAddress? literal)
                ? literal
                : (await Dns.GetHostAddressesAsync(host, cancellation).ConfigureAwait(false))[0];
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException)
        {
            await Console.Error.WriteLineAsync($"fastntp: cannot resolve {host}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        var endpoint = new IPEndPoint(address, port);
        var results = new List<QueryResult>();
        for (int i = 0; i < count; i++)
        {
            if (i > 0) await Task.Delay(TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
            QueryResult result = await SntpClient.QueryAsync(endpoint, TimeSpan.FromSeconds(timeoutSeconds), cancellation).ConfigureAwait(false);
            results.Add(result);
            if (!json) Print(result);
        }

        return await ReportAsync(results, json).ConfigureAwait(false);
    }

    /// <summary>NTS-KE once, then up to <paramref name="count"/> NTS-protected exchanges with the cookies it gave.</summary>
    private static async Task<int> RunNtsAsync(
        string host, int port, int count, TimeSpan timeout, bool json, NtsSettings nts, CancellationToken cancellation)
    {
        NtsKeResult session;
        try
        {
            session = await NtsKeClient.ExchangeAsync(host, nts.KePort, nts.CaFile, timeout * 5, ntpPort: port, cancellationToken: cancellation)
                .ConfigureAwait(false);
        }
        catch (NtsKeException e)
        {
            await Console.Error.WriteLineAsync($"fastntp: {e.Message}").ConfigureAwait(false);
            return ExitCodes.For(e.Failure);
        }

        using var client = new NtsNtpClient(session);
        var results = new List<QueryResult>();
        for (int i = 0; i < count; i++)
        {
            if (i > 0) await Task.Delay(TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
            NtsQueryResult result;
            try
            {
                result = await client.QueryAsync(timeout, cancellation).ConfigureAwait(false);
            }
            catch (NtsQueryException e)
            {
                await Console.Error.WriteLineAsync($"fastntp: {e.Message}").ConfigureAwait(false);
                return e.Failure switch
                {
                    NtsQueryFailure.Timeout => ExitCodes.Timeout,
                    NtsQueryFailure.Nak => ExitCodes.KissOfDeath,
                    _ => ExitCodes.InvalidReply,
                };
            }

            var plain = new QueryResult(result.Server, result.Sample, TimedOut: false);
            results.Add(plain);
            if (!json) Console.WriteLine($"{Describe(plain)} nts {result.Algorithm}");
        }

        return await ReportAsync(results, json).ConfigureAwait(false);
    }

    private static async Task<int> ReportAsync(List<QueryResult> results, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize([.. results.Select(ToJson)], CliJsonContext.Default.QueryJsonArray));

        QueryResult? failure = results.FirstOrDefault(r => !r.IsValid);
        if (failure is null) return ExitCodes.Ok;
        // Without --json each failed sample was already printed as it happened.
        if (json) await Console.Error.WriteLineAsync($"fastntp: {Problem(failure)}").ConfigureAwait(false);
        return failure.TimedOut ? ExitCodes.Timeout
            : failure.Sample.Error == ReplyError.KissOfDeath ? ExitCodes.KissOfDeath
            : ExitCodes.InvalidReply;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"fastntp: {message}");
        return ExitCodes.ConfigurationError;
    }

    internal static string Problem(QueryResult r) => r.TimedOut
        ? $"no reply from {r.Server}"
        : r.Sample.Error switch
        {
            ReplyError.KissOfDeath => $"{r.Server} sent a kiss-o'-death: {r.Sample.KissCode.ToString(0)}",
            ReplyError.Unsynchronized => $"{r.Server} is not synchronized (leap {(int)r.Sample.Leap}, stratum {r.Sample.Stratum})",
            ReplyError.BogusTimestamps => $"{r.Server} sent bogus timestamps (zero, or transmit before receive)",
            ReplyError.NotAServerReply => $"{r.Server} sent something that is not a server reply",
            ReplyError.TooShort => $"{r.Server} sent a reply shorter than 48 bytes",
            ReplyError.OriginMismatch => $"{r.Server} sent only replies whose origin timestamp is not our request's (stale or spoofed)",
            _ => $"{r.Server}: {r.Sample.Error}",
        };

    /// <summary>A sample for a person: a valid one on standard output, a failed one once on standard error.</summary>
    private static void Print(QueryResult r)
    {
        if (r.IsValid) Console.WriteLine(Describe(r));
        else Console.Error.WriteLine($"fastntp: {Problem(r)}");
    }

    private static string Describe(QueryResult r)
    {
        ClientSample s = r.Sample;
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Server} stratum {s.Stratum} refid {s.ReferenceId.ToString(s.Stratum)} leap {(int)s.Leap} version {s.Version} " +
            $"offset {s.Offset.TotalSeconds:+0.000000;-0.000000} s delay {s.Delay.TotalSeconds:0.000000} s " +
            $"root-delay {s.RootDelay.TotalSeconds:0.000000} s root-dispersion {s.RootDispersion.TotalSeconds:0.000000} s " +
            $"precision 2^{s.Precision}");
    }

    private static QueryJson ToJson(QueryResult r) => new(
        r.Server.ToString(),
        r.IsValid,
        r.IsValid ? null : Problem(r),
        r.TimedOut,
        r.TimedOut ? null : r.Sample.Stratum,
        r.TimedOut ? null : r.Sample.ReferenceId.ToString(r.Sample.Stratum),
        r.TimedOut ? null : (int)r.Sample.Leap,
        r.TimedOut ? null : r.Sample.Version,
        r.IsValid ? r.Sample.Offset.TotalSeconds : null,
        r.IsValid ? r.Sample.Delay.TotalSeconds : null,
        r.TimedOut ? null : r.Sample.RootDelay.TotalSeconds,
        r.TimedOut ? null : r.Sample.RootDispersion.TotalSeconds,
        r.TimedOut ? null : r.Sample.Precision,
        r.Sample.Error == ReplyError.KissOfDeath ? r.Sample.KissCode.ToString(0) : null);
}
