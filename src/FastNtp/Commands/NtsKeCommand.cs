using System.CommandLine;
using System.Text.Json;
using FastNtp.Protocol;
using FastNtp.Server.Configuration;
using FastNtp.Server.Nts;

namespace FastNtp.Commands;

/// <summary>
/// `fastntp nts-ke HOST[:PORT]`: runs NTS-KE and prints what it negotiated, keys and cookies in hex, enough to
/// drive NTS load generators (ntpperf -S) or to debug a deployment.
/// </summary>
public static class NtsKeCommand
{
    public static Command Create()
    {
        var server = new Argument<string>("server") { HelpName = "HOST[:PORT]", Description = "HOST[:PORT] of the NTS-KE server; port 4460 by default" };
        var ca = new Option<string>("--ca") { HelpName = "PEM", Description = "CA certificate (PEM) to verify the server against instead of the system store" };
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var command = new Command("nts-ke", "Run NTS key establishment and print the algorithm, NTP server, keys and cookies.") { server, ca, json };
        command.SetAction(async (parse, cancellation) =>
        {
            string target = parse.GetValue(server)!;
            if (!EndpointParser.TrySplitHostPort(target, ProtocolConstants.NtsKePort, out string host, out int port))
                return Fail(ExitCodes.ConfigurationError, $"'{target}' is not HOST[:PORT]");

            NtsKeResult result;
            try
            {
                result = await NtsKeClient.ExchangeAsync(host, port, parse.GetValue(ca), cancellationToken: cancellation).ConfigureAwait(false);
            }
            catch (NtsKeException e)
            {
                return Fail(ExitCodes.For(e.Failure), e.Message);
            }

            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(ToJson(result), CliJsonContext.Default.NtsKeJson) : Describe(result));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"fastntp: {message}");
        return code;
    }

    private static string Describe(NtsKeResult r)
    {
        var lines = new List<string>
        {
            $"aead {(int)r.Algorithm} ({r.Algorithm})",
            $"server {r.NtpServer}",
            $"port {r.NtpPort}",
            $"c2s {Convert.ToHexStringLower(r.C2SKey)}",
            $"s2c {Convert.ToHexStringLower(r.S2CKey)}",
        };
        lines.AddRange(r.Cookies.Select(c => $"cookie {Convert.ToHexStringLower(c)}"));
        return string.Join('\n', lines);
    }

    private static NtsKeJson ToJson(NtsKeResult r) => new(
        (int)r.Algorithm,
        r.Algorithm.ToString(),
        r.NtpServer,
        r.NtpPort,
        Convert.ToHexStringLower(r.C2SKey),
        Convert.ToHexStringLower(r.S2CKey),
        [.. r.Cookies.Select(Convert.ToHexStringLower)]);
}
