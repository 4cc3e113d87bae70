using System.Runtime.InteropServices;

namespace FastNtp.Interop.Sockets;

/// <summary>A socket set-up call failed; carries the call and its errno. The batch I/O calls never throw it.</summary>
public sealed class NativeSocketException : IOException
{
    public NativeSocketException(string call, Errno errno)
        : base($"{call} failed: {errno} ({Marshal.GetPInvokeErrorMessage((int)errno)})")
    {
        Call = call;
        Errno = errno;
    }

    public NativeSocketException()
    {
        Call = string.Empty;
    }

    public NativeSocketException(string message) : base(message)
    {
        Call = string.Empty;
    }

    public NativeSocketException(string message, Exception innerException) : base(message, innerException)
    {
        Call = string.Empty;
    }

    public string Call { get; }

    public Errno Errno { get; }

    internal static Errno LastErrno() => (Errno)Marshal.GetLastPInvokeError();

    internal static NativeSocketException FromLastError(string call) => new(call, LastErrno());
}
