using FastNtp.Server.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastNtp.Server.Hosting;

/// <summary>
/// `fastntp serve` as a Generic Host: <see cref="ServerHost"/> is its hosted service, the host owns the lifetime
/// (SIGINT/SIGTERM stop it once), and under systemd <c>UseSystemd</c>'s lifetime sends <c>READY=1</c> once every
/// hosted service has started and <c>STOPPING=1</c> when the stop begins, with logs in journald's format.
/// </summary>
public static class ServerApplication
{
    /// <param name="reload">How SIGHUP reads the configuration again; null leaves SIGHUP unhandled.</param>
    public static IHost Build(FastNtpSettings settings, ConfigurationReload? reload = null)
    {
        // Empty: no appsettings.json and no DOTNET_* variables; FastNtp's own configuration is all there is.
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        // A failed start is a ConfigurationException that `serve` prints as one line; the host would add its stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // The server logs what it serves once started; the lifetimes' "Application started" lines add nothing.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Logging:LogLevel and --log-level; registered last, so an operator's entry for a category wins over the two above.
        settings.Logging.ApplyTo(builder.Logging);

        builder.Services.AddSystemd();
        bool notify = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        if (notify && !SystemdHelpers.IsSystemdService())
        {
            // What UseSystemd does when systemd is the parent process, the only way it recognises systemd: a notify
            // socket handed down otherwise (a container runtime's, a test's) gets the same protocol and log format.
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Systemd);
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ServerHost>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ServerHost>());
        if (reload is not null)
        {
            builder.Services.AddSingleton(reload);
            builder.Services.AddHostedService<ReloadService>();
        }
        if (notify) builder.Services.AddHostedService<SystemdService>();
        return builder.Build();
    }
}
