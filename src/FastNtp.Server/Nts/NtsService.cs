using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;
using FastNtp.Server.Configuration;
using FastNtp.Server.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastNtp.Server.Nts;

/// <summary>
/// NTS for `fastntp serve`, built from <see cref="NtsSettings"/>: the cookie keys (from the fleet key file or
/// a random in-memory secret), the NTS-KE listener when one is configured, and the per-worker responders.
/// </summary>
public sealed partial class NtsService : IAsyncDisposable
{
    private NtsService(CookieKeyManager keys, NtsKeServer? keServer)
    {
        Keys = keys;
        KeServer = keServer;
    }

    public CookieKeyManager Keys { get; }

    /// <summary>The NTS-KE listener, or null when Nts.KeListen is unset (an NTP-only server of a fleet).</summary>
    public NtsKeServer? KeServer { get; }

    /// <summary>
    /// Builds the service from validated settings without binding anything; throws
    /// <see cref="ConfigurationException"/> naming the option when the key file is wrong. <paramref name="limits"/>
    /// bound what NTS-KE clients may cost (null: the defaults).
    /// </summary>
    public static NtsService Create(NtsSettings nts, ILoggerFactory? loggerFactory = null, NtsKeSettings? limits = null)
    {
        ArgumentNullException.ThrowIfNull(nts);
        loggerFactory ??= NullLoggerFactory.Instance;
        ILogger logger = loggerFactory.CreateLogger<NtsService>();

        CookieKeyManager keys;
        if (nts.KeyFile is { } file)
        {
            byte[] secret;
            try
            {
                secret = NtsKeyFile.Load(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new ConfigurationException($"--nts-key-file: {e.Message}");
            }

            keys = new CookieKeyManager(secret, nts.Rotation, nts.StaleEpochs);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
        else
        {
            LogEphemeralSecret(logger);
            keys = CookieKeyManager.CreateEphemeral(nts.Rotation, nts.StaleEpochs);
        }

        NtsKeServer? keServer = null;
        if (nts.KeListener is { } listener)
        {
            var settings = new NtsKeServerSettings
            {
                Listen = listener.Endpoint,
                CertificatePath = listener.CertificatePath,
                PrivateKeyPath = listener.PrivateKeyPath,
                NtpServer = nts.NtpServer,
                NtpPort = nts.NtpPort,
                Limits = limits ?? NtsKeSettings.Default,
            };
            keServer = new NtsKeServer(settings, keys.Store, loggerFactory.CreateLogger<NtsKeServer>());
        }

        return new NtsService(keys, keServer);
    }

    /// <summary>Starts the NTS-KE listener, if any (loads the certificate, binds; throws on failure).</summary>
    public Task StartAsync() => KeServer?.StartAsync() ?? Task.CompletedTask;

    /// <summary>A responder for one worker thread that answers both plain and NTS requests; pass as EngineSettings.CreateResponder.</summary>
    public Responder CreateResponder() => new(new NtsResponder(Keys.Store));

    /// <summary>The workers' NTS outcomes (from their counters) and the NTS-KE server's figures.</summary>
    public NtsCounters Totals(CounterTotals workers) => NtsCounters.From(workers, KeServer?.Counters);

    public async ValueTask DisposeAsync()
    {
        if (KeServer is not null) await KeServer.DisposeAsync().ConfigureAwait(false);
        Keys.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "No Nts.KeyFile: using a random in-memory cookie secret; cookies die with this process and no other server accepts them. Run `fastntp keygen --out FILE` for a fleet secret.")]
    private static partial void LogEphemeralSecret(ILogger logger);
}
