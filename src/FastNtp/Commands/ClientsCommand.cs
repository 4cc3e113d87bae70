using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastNtp.Server.Configuration;
using FastNtp.Server.Metrics;

namespace FastNtp.Commands;

/// <summary>`fastntp clients`: the top clients from a running server's rate-limit tables (its /clients endpoint).</summary>
public static class ClientsCommand
{
    public static Command Create() => MetricsTarget.Command(
        "clients", "Show a running server's top clients by requests (needs RateLimit:Enabled).", "ADDR:PORT", RunAsync);

    private static async Task<int> RunAsync(string target, bool json, CancellationToken cancellation)
    {
        if (!EndpointParser.TryParseAddress(target, 0, out IPEndPoint? endpoint) || endpoint.Port == 0)
        {
            await Console.Error.WriteLineAsync($"fastntp: '{target}' is not ADDR:PORT").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string host = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        string body;
        try
        {
            body = await http.GetStringAsync(new Uri($"http://{host}:{endpoint.Port}/clients"), cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"fastntp: no client log from {endpoint}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Timeout;
        }

        if (json)
        {
            Console.WriteLine(body);
            return ExitCodes.Ok;
        }

        ClientLogReport? report;
        try
        {
            report = JsonSerializer.Deserialize(body, StatusJsonContext.Default.ClientLogReport);
        }
        catch (JsonException e)
        {
            await Console.Error.WriteLineAsync($"fastntp: {endpoint} sent a client log that does not parse: {e.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidReply;
        }

        if (report is null) return ExitCodes.InvalidReply;
        Console.Write(Format(report));
        return ExitCodes.Ok;
    }

    internal static string Format(ClientLogReport r)
    {
        if (!r.RateLimitEnabled) return "no client log: the server keeps one only with RateLimit:Enabled\n";
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{r.Clients.Count} client(s) shown, table capacity {r.Capacity}, evictions {r.Evictions}\n");
        text.Append(CultureInfo.InvariantCulture, $"{"address",-44} {"requests",10} {"kod",8} {"dropped",10} {"mode",-5} {"last seen",12}\n");
        foreach (ClientRecord c in r.Clients)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{c.Address,-44} {c.Requests,10} {c.KodSent,8} {c.Dropped,10} {c.Mode,-5} {c.LastSeenSecondsAgo,8:0.0} s ago\n");
        }

        return text.ToString();
    }
}
