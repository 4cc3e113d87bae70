using System.Net;

namespace FastNtp.Interop.Sockets;

/// <summary>Another socket (another server) already serves the address a server's first socket was to bind.</summary>
public sealed class AddressInUseException : IOException
{
    public AddressInUseException(IPEndPoint endPoint, Exception innerException)
        : base($"udp {endPoint} is already served by another process; a second server on one address is refused.", innerException)
    {
        EndPoint = endPoint;
    }

    public AddressInUseException()
    {
    }

    public AddressInUseException(string message) : base(message)
    {
    }

    public AddressInUseException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public IPEndPoint? EndPoint { get; }
}
