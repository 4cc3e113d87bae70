using System.CommandLine;
using System.Globalization;
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
        var listen = new Option<string[]>("--listen") { Description = "ADDR:PORT to answer on, repeatable ([ADDR]:PORT for IPv6); default 0.0.0.0:123 and [::]:123" };
        var workers = new Option<int>("--workers") { Description = "worker threads per address (default: one per core)" };
        var localStratum = new Option<int>("--local-stratum") { Description = "serve the local clock at this stratum (1-15) when no upstream is selected" };
        var upstream = new Option<string[]>("--upstream") { Description = "HOST[:PORT][,nts] upstream source, repeatable" };
        var ntsKeListen = new Option<string>("--nts-ke-listen") { Description = "ADDR:PORT for NTS-KE (TLS 1.3), usually port 4460" };
        var cert = new Option<string>("--cert") { Description = "NTS-KE certificate chain (PEM)" };
        var key = new Option<string>("--key") { Description = "NTS-KE private key (PEM)" };
        var ntsKeyFile = new Option<string>("--nts-key-file") { Description = "fleet root secret for NTS cookies (fastntp keygen)" };
        var metricsListen = new Option<string>("--metrics-listen") { Description = "ADDR:PORT for the HTTP /metrics and /status endpoint" };
        var xdp = new Option<string[]>("--xdp") { Description = "answer plain NTP in the driver (XDP) on this network interface, repeatable" };

        var command = new Command("serve", "Run the NTP server.")
        {
            config, listen, workers, localStratum, upstream, ntsKeListen, cert, key, ntsKeyFile, metricsListen, xdp,
        };

        command.SetAction(async (parse, cancellation) =>
        {
            var overrides = new List<KeyValuePair<string, string?>>();
            void Set<T>(Option<T> option, string configKey)
            {
                if (parse.GetResult(option) is not { Implicit: false }) return;
                object? value = parse.GetValue(option);
                if (value is string[] items)
                {
                    for (int i = 0; i < items.Length; i++) overrides.Add(new($"{configKey}:{i}", items[i]));
                }
                else
                {
                    overrides.Add(new(configKey, Convert.ToString(value, CultureInfo.InvariantCulture)));
                }
            }

            Set(listen, "Server:Listen");
            Set(workers, "Server:Workers");
            Set(localStratum, "Server:LocalStratum");
            Set(upstream, "Sync:Upstream");
            Set(ntsKeListen, "Nts:KeListen");
            Set(cert, "Nts:Cert");
            Set(key, "Nts:Key");
            Set(ntsKeyFile, "Nts:KeyFile");
            Set(metricsListen, "Metrics:Listen");
            Set(xdp, "Server:Xdp:Interfaces");

            return await RunAsync(parse.GetValue(config), overrides, cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string? configFile, List<KeyValuePair<string, string?>> overrides, CancellationToken cancellation)
    {
        using ILoggerFactory loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            })
            .SetMinimumLevel(LogLevel.Information));

        ServerHost host;
        try
        {
            FastNtpOptions options = ConfigurationLoader.Load(configFile, overrides);
            host = new ServerHost(options, loggers);
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"fastntp: {e.Message}").ConfigureAwait(false);
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

            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using CancellationTokenRegistration cancelled = cancellation.Register(() => stopRequested.TrySetResult());
            await stopRequested.Task.ConfigureAwait(false);

            await host.StopAsync().ConfigureAwait(false);
            Console.WriteLine($"fastntp: stopped; {host.Totals}");
        }

        return ExitCodes.Ok;
    }
}
