using System.Runtime.ExceptionServices;
using FastNtp.Interop.Security;
using FastNtp.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Hosting;

/// <summary>
/// A server started as root becomes <c>Server:User</c> once every socket is bound (NTP, NTS-KE, metrics, XDP)
/// and every key read, as chronyd does with <c>-u</c>. The drop runs on a thread of its own that keeps
/// CAP_SYS_TIME with clock control kernel, and starts the snapshot source there: capabilities belong to threads,
/// so the clock threads it starts (synchronizer, leap service) inherit it and every other thread has none.
/// </summary>
public sealed partial class PrivilegeDrop
{
    private readonly UserAccount? _user;
    private readonly ulong _keep;
    private readonly ILogger _logger;

    /// <param name="user">Null: started as root with Server:AllowRoot, it stays root (and says so once started).</param>
    private PrivilegeDrop(UserAccount? user, ulong keep, ILogger logger)
    {
        _user = user;
        _keep = keep;
        _logger = logger;
    }

    /// <summary>The user to become; null when a root server stays root (Server:AllowRoot).</summary>
    internal UserAccount? User => _user;

    /// <summary>The capabilities the clock threads keep, bit N for capability N.</summary>
    internal ulong KeptCapabilities => _keep;

    /// <summary>
    /// Decides, before anything is bound, whether and to whom the server drops: null when it is not root and stays who it is.
    /// Throws <see cref="ConfigurationException"/> when started as root with no user and no Server:AllowRoot,
    /// for a user that does not exist, and for a user only root could become.
    /// </summary>
    /// <param name="keepClockControl">Clock:Control kernel: the clock threads adjust the kernel clock, which needs CAP_SYS_TIME.</param>
    public static PrivilegeDrop? Plan(ServerSettings server, bool keepClockControl, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!ProcessIdentity.IsSupported)
        {
            if (server.User is not null) throw new ConfigurationException("--user: changing the user needs Linux");
            return null;
        }

        uint uid = ProcessIdentity.UserIds().Effective;
        if (server.User is not { } name)
        {
            if (uid != 0) return null;
            if (!server.AllowRoot)
            {
                throw new ConfigurationException(
                    "--user: started as root; name the user to serve as (--user NAME or Server:User), or set Server:AllowRoot to keep serving as root");
            }

            return new PrivilegeDrop(null, 0, logger);
        }

        if (!ProcessIdentity.TryFindUser(name, out UserAccount user)) throw new ConfigurationException($"--user: there is no user '{name}'");
        if (user.Uid == 0) throw new ConfigurationException($"--user: '{name}' is root; set Server:AllowRoot to serve as root");
        if (uid == user.Uid) return null;
        if (uid != 0) throw new ConfigurationException($"--user: only root can become '{name}' (running as uid {uid})");
        return new PrivilegeDrop(user, keepClockControl ? 1UL << ProcessIdentity.CapSysTime : 0, logger);
    }

    /// <summary>Becomes the user, then runs <paramref name="startClockThreads"/> on the thread that kept the capability.</summary>
    public void Apply(Action startClockThreads)
    {
        ArgumentNullException.ThrowIfNull(startClockThreads);
        if (_user is not { } user)
        {
            startClockThreads();
            LogServingAsRoot(_logger);
            return;
        }

        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                ProcessIdentity.Become(user, _keep);
                startClockThreads();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { Name = "fastntp-setuid" };
        thread.Start();
        thread.Join();
        if (failure?.SourceException is IOException io) throw new ConfigurationException($"--user: cannot become '{user.Name}': {io.Message}");
        failure?.Throw();
        LogDropped(_logger, user.Name, user.Uid, user.Gid, _keep == 0 ? "none" : "CAP_SYS_TIME on the clock threads");
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Serving as user {User} (uid {Uid}, gid {Gid}); capabilities kept: {Capabilities}")]
    private static partial void LogDropped(ILogger logger, string user, uint uid, uint gid, string capabilities);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Serving as root (Server:AllowRoot): every part of the server keeps every privilege; --user NAME drops them once bound")]
    private static partial void LogServingAsRoot(ILogger logger);
}
