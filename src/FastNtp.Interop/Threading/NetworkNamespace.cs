using FastNtp.Interop.Sockets;
using Microsoft.Win32.SafeHandles;

namespace FastNtp.Interop.Threading;

/// <summary>
/// Named network namespaces as <c>ip netns add</c> makes them (<c>/run/netns/NAME</c>). Sockets, interface indexes and
/// XDP attachments belong to the namespace of the thread that makes them, so a thread that enters one can set up
/// AF_XDP there while the rest of the process stays where it is.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>Moves the calling thread (only it) into the namespace; throws with the errno when the kernel refuses.</summary>
    public static void EnterOnThisThread(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using SafeFileHandle file = File.OpenHandle(Path.Combine("/run/netns", name));
        if (Interop.Libc.SetNs(file, Interop.Libc.CloneNewNet) != 0)
            throw NativeSocketException.FromLastError($"setns({name})");
    }
}
