using System.CommandLine;
using System.Net;
using FastNtp.Server.Configuration;

namespace FastNtp.Commands;

/// <summary>
/// Which metrics listener `status` and `clients` ask: the one named, else the server configuration's
/// Metrics:Listen (--config, or the default file when it exists), else 127.0.0.1:9123.
/// </summary>
public static class MetricsTarget
{
    public const string Fallback = "127.0.0.1:9123";

    /// <summary>A command that asks a metrics listener: [ADDR:PORT] [--json] [--config FILE], then <paramref name="run"/>(target, json).</summary>
    public static Command Command(string name, string description, string helpName, Func<string, bool, CancellationToken, Task<int>> run)
    {
        var server = new Argument<string?>("metrics")
        {
            HelpName = helpName,
            Description = $"the server's --metrics-listen endpoint; default its configuration's Metrics:Listen, else {Fallback}",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = new Option<bool>("--json") { Description = "print the raw JSON document" };
        var config = new Option<string>("--config")
        {
            HelpName = "FILE",
            Description = $"the server's configuration, for its Metrics:Listen; default {ConfigurationLoader.DefaultFile} when it exists",
        };
        var command = new Command(name, description) { server, json, config };
        command.SetAction(async (parse, cancellation) =>
        {
            if (Resolve(parse.GetValue(server), parse.GetValue(config), out string? error) is not { } target)
            {
                await Console.Error.WriteLineAsync($"fastntp: {error}").ConfigureAwait(false);
                return ExitCodes.ConfigurationError;
            }

            return await run(target, parse.GetValue(json), cancellation).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The endpoint to ask; null with <paramref name="error"/> set when the configuration cannot be read.</summary>
    public static string? Resolve(string? named, string? configFile, out string? error)
    {
        error = null;
        if (named is not null) return named;
        string? file = ConfigurationLoader.ChooseFile(configFile);
        if (file is null) return Fallback;
        ConfigurationCheck check = ConfigurationLoader.Check(file, []);
        if (check.Settings is null)
        {
            error = check.Errors[0];
            return null;
        }

        if (check.Settings.Metrics.Listen is not { } listen) return Fallback;
        // A listener on every address is reached on loopback.
        IPAddress address = listen.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : listen.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : listen.Address;
        return new IPEndPoint(address, listen.Port).ToString();
    }
}
