using System.Net.Sockets;
using System.Text;

namespace FastNtp.Server.Hosting;

/// <summary>
/// The sender side of systemd's notify protocol (sd_notify(3)): one datagram of newline-separated
/// <c>KEY=VALUE</c> assignments to the AF_UNIX socket named by <c>$NOTIFY_SOCKET</c>, where a leading '@' names
/// an abstract socket. Outside systemd the variable is absent and there is nothing to notify.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;

    private SystemdNotifier(string path)
    {
        // An abstract address is the name with a leading NUL instead of '@'.
        _target = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>How often systemd expects <c>WATCHDOG=1</c>, when it watches this process.</summary>
    public TimeSpan? WatchdogInterval { get; private init; }

    /// <summary>The notifier systemd asked for through the environment, or null when not run as a notify service.</summary>
    public static SystemdNotifier? FromEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || path[0] is not ('/' or '@')) return null;
        return new SystemdNotifier(path) { WatchdogInterval = WatchdogFromEnvironment() };
    }

    /// <summary>
    /// <c>$WATCHDOG_USEC</c> when it is meant for this process: systemd sets <c>$WATCHDOG_PID</c> so that a child
    /// inheriting the environment does not take the watchdog for its own.
    /// </summary>
    private static TimeSpan? WatchdogFromEnvironment()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long microseconds) || microseconds <= 0) return null;
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && (!int.TryParse(pid, out int owner) || owner != Environment.ProcessId)) return null;
        return TimeSpan.FromMicroseconds(microseconds);
    }

    /// <summary>Sends one state message; false when systemd could not be reached (the service runs on regardless).</summary>
    public bool Send(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _target);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
