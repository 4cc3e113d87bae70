using System.CommandLine;
using System.Runtime.InteropServices;
using FastNtp.Server.Configuration;
using FastNtp.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace FastNtp.Commands;

/// <summary>`fastntp serve`: runs the server until SIGINT or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "JSON configuration file (keys as in deploy/fastntp.json)" };
        var command = new Command("serve", "Run the NTP server.") { config };

        // Values stay text here: the configuration layer parses and checks them, so a bad value reads the same
        // from the command line, the file and the environment.
        var settable = new List<(Option Option, OptionRow Row)>();
        foreach (OptionRow row in OptionTable.Rows)
        {
            if (row.Option is null) continue;
            Option option = row.IsList
                ? new Option<string[]>(row.Option) { Description = row.Description }
                : new Option<string>(row.Option) { Description = row.Description };
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

            return await RunAsync(parse.GetValue(config), overrides, cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string? configFile, List<KeyValuePair<string, string?>> overrides, CancellationToken cancellation)
    {
        using ILoggerFactory loggers = LoggerFactory.Create(b =>
        {
            // Under systemd the journal stamps each line itself and reads the <N> syslog priority prefix.
            if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null)
            {
                b.AddSystemdConsole();
            }
            else
            {
                b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.UseUtcTimestamp = true;
                });
            }

            b.SetMinimumLevel(LogLevel.Information);
        });

        ServerHost host;
        try
        {
            FastNtpSettings settings = ConfigurationLoader.Load(configFile, overrides);
            host = new ServerHost(settings, loggers);
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (ConfigurationException e)
        {
            foreach (string error in e.Errors) await Console.Error.WriteLineAsync($"fastntp: {error}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        await using (host)
        {
            var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true; // the stop below is the clean exit
                stopRequested.TrySetResult();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using CancellationTokenRegistration cancelled = cancellation.Register(() => stopRequested.TrySetResult());
            // Ready only once a stop signal would be handled: systemd may send one as soon as it hears READY.
            var systemd = SystemdService.Start(host, loggers.CreateLogger("FastNtp.Systemd"));
            await stopRequested.Task.ConfigureAwait(false);

            if (systemd is not null) await systemd.DisposeAsync().ConfigureAwait(false);
            await host.StopAsync().ConfigureAwait(false);
            Console.WriteLine($"fastntp: stopped; {host.Totals}");
        }

        return ExitCodes.Ok;
    }
}
