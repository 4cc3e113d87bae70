using System.CommandLine;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FastNtp.Commands;

/// <summary>`fastntp serve`: runs the server until SIGINT or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { HelpName = "FILE", Description = $"JSON configuration file (keys as in deploy/fastntp.json); default {ConfigurationLoader.DefaultFile} when it exists" };
        var command = new Command("serve", "Run the NTP server.") { config };

        // Values stay text here: the configuration layer parses and checks them, so a bad value reads the same
        // from the command line, the file and the environment.
        var settable = new List<(Option Option, OptionRow Row)>();
        foreach (OptionRow row in OptionTable.Rows)
        {
            if (row.Option is null) continue;
            Option option = row.IsList
                ? new Option<string[]>(row.Option) { Description = row.Description, HelpName = row.Value }
                : new Option<string>(row.Option) { Description = row.Description, HelpName = row.Value };
            command.Options.Add(option);
            settable.Add((option, row));
        }

        command.SetAction(async (parse, cancellation) =>
        {
            var overrides = new List<KeyValuePair<string, string?>>();
            foreach ((Option option, OptionRow row) in settable)
            {
                if (parse.GetResult(option) is not { Implicit: false } result) continue;
                if (row.IsList)
                {
                    string[] items = result.GetValueOrDefault<string[]>() ?? [];
                    for (int i = 0; i < items.Length; i++) overrides.Add(new($"{row.Key}:{i}", items[i]));
                }
                else
                {
                    overrides.Add(new(row.Key, result.GetValueOrDefault<string>()));
                }
            }

            return await RunAsync(ConfigurationLoader.ChooseFile(parse.GetValue(config)), overrides, cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string? configFile, List<KeyValuePair<string, string?>> overrides, CancellationToken cancellation)
    {
        ConfigurationCheck check = ConfigurationLoader.Check(configFile, overrides);
        if (check.Settings is null) return await RefuseAsync(new ConfigurationException(check.Errors)).ConfigureAwait(false);

        using IHost host = ServerApplication.Build(
            check.Settings, new ConfigurationReload(check.Values, () => ConfigurationLoader.Check(configFile, overrides)));
        try
        {
            await host.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (ConfigurationException e)
        {
            return await RefuseAsync(e).ConfigureAwait(false);
        }

        // The host's lifetime ends this on SIGINT or SIGTERM, having stopped every hosted service.
        await host.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
        Console.WriteLine($"fastntp: stopped; {host.Services.GetRequiredService<ServerHost>().Totals}");
        return ExitCodes.Ok;
    }

    private static async Task<int> RefuseAsync(ConfigurationException e)
    {
        foreach (string error in e.Errors) await Console.Error.WriteLineAsync($"fastntp: {error}").ConfigureAwait(false);
        return ExitCodes.ConfigurationError;
    }
}
