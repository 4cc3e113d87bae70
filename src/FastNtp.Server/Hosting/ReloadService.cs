using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FastNtp.Interop.OpenSsl;
using FastNtp.Server.Configuration;
using FastNtp.Server.Nts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>How `serve` reads its configuration again: the keys it started with, and the same file, environment and options read anew.</summary>
public sealed record ConfigurationReload(IReadOnlyDictionary<string, string?> Running, Func<ConfigurationCheck> Reread);

/// <summary>
/// SIGHUP (systemd's ExecReload): puts the current contents of the NTS-KE certificate and key files, of the
/// fleet key file and of the leap-second file in service, keeping the old ones when the new are unusable, and logs one line saying what was
/// reloaded, what was kept and which changed keys need a restart (everything else: listeners, workers, access
/// lists and rate limits live in the workers' tables, the synchronizer's sources). A configuration that no longer
/// validates changes nothing. The process never ends on SIGHUP.
/// </summary>
public sealed partial class ReloadService(ServerHost host, FastNtpSettings settings, ConfigurationReload reload, ILogger<ReloadService> logger)
    : IHostedService, IDisposable
{
    private readonly Lock _lock = new();
    private PosixSignalRegistration? _hangup;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // the default would end the process
            ThreadPool.QueueUserWorkItem(_ => Reload());
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _hangup?.Dispose();
        _hangup = null;
    }

    /// <summary>One reload, as SIGHUP runs it; returns the line it logged.</summary>
    public string Reload()
    {
        lock (_lock)
        {
            ConfigurationCheck check = reload.Reread();
            if (check.Settings is null)
            {
                string refused = $"configuration not reloaded, nothing changed: {check.Errors[0]}" +
                    (check.Errors.Count > 1 ? $" (and {check.Errors.Count - 1} more; fastntp check-config lists them)" : "");
                LogRefused(logger, refused);
                return refused;
            }

            var applied = new List<string>();
            var kept = new List<string>();
            if (host.Nts?.KeServer is { } keyExchange)
            {
                try
                {
                    NtsKeCertificate certificate = keyExchange.ReloadCertificate();
                    applied.Add($"certificate {certificate.Path} (valid until {certificate.NotAfter:yyyy-MM-dd})");
                }
                catch (Exception e) when (e is InvalidDataException or OpenSslException)
                {
                    kept.Add($"the old certificate ({e.Message})");
                }
            }

            if (host.Nts is { } nts && settings.Nts.KeyFile is { } keyFile)
            {
                try
                {
                    byte[] secret = NtsKeyFile.Load(keyFile);
                    applied.Add(nts.Keys.ReplaceSecret(secret) ? "a new fleet key" : "the same fleet key");
                    CryptographicOperations.ZeroMemory(secret);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    kept.Add($"the old fleet key ({e.Message})");
                }
            }

            if (host.Leap is { } leap)
            {
                if (leap.Reload() is { } error) kept.Add($"the old leap-second list ({error})");
                else applied.Add("the leap-second file");
            }

            IReadOnlyList<string> restart = ConfigurationCheck.ChangedKeys(reload.Running, check.Values);
            string line = $"reloaded {(applied.Count == 0 ? "nothing (no NTS key files)" : string.Join(", ", applied))}" +
                (kept.Count == 0 ? "" : $"; kept {string.Join(", ", kept)}") +
                (restart.Count == 0 ? "" : $"; changed but applied only by a restart: {string.Join(", ", restart)}");
            if (kept.Count == 0) LogReloaded(logger, line);
            else LogPartlyReloaded(logger, line);
            return line;
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "SIGHUP: {Outcome}")]
    private static partial void LogReloaded(ILogger logger, string outcome);

    [LoggerMessage(EventId = 51, Level = LogLevel.Error, Message = "SIGHUP: {Outcome}")]
    private static partial void LogPartlyReloaded(ILogger logger, string outcome);

    [LoggerMessage(EventId = 52, Level = LogLevel.Error, Message = "SIGHUP: {Outcome}")]
    private static partial void LogRefused(ILogger logger, string outcome);
}
