using System.Runtime.InteropServices;
using FastNtp.Interop.Sockets;

namespace FastNtp.Interop.Bpf;

/// <summary>A libbpf or kernel BPF call failed; carries the call and its errno (EPERM: no CAP_BPF/CAP_NET_ADMIN).</summary>
public sealed class BpfException : IOException
{
    public BpfException(string call, Errno errno)
        : base($"{call} failed: {Marshal.GetPInvokeErrorMessage((int)errno)} (errno {(int)errno})")
    {
        Call = call;
        Errno = errno;
    }

    public BpfException()
    {
        Call = string.Empty;
    }

    public BpfException(string message) : base(message)
    {
        Call = string.Empty;
    }

    public BpfException(string message, Exception innerException) : base(message, innerException)
    {
        Call = string.Empty;
    }

    public string Call { get; }

    public Errno Errno { get; }

    /// <summary>libbpf 1.x returns failures as negative errno values.</summary>
    internal static void ThrowIfNegative(int result, string call)
    {
        if (result < 0) throw new BpfException(call, (Errno)(-result));
    }

    internal static BpfException FromLastError(string call) => new(call, (Errno)Marshal.GetLastPInvokeError());
}
