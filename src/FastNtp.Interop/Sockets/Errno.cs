namespace FastNtp.Interop.Sockets;

/// <summary>Linux errno values the socket layer reports; other values appear as their number.</summary>
#pragma warning disable CA1707, CA1008 // errno names are spelled as in errno.h so operators recognise them.
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EINVAL = 22,
    EMSGSIZE = 90,
    ENOPROTOOPT = 92,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ENETUNREACH = 101,
    ENOBUFS = 105,
    ENOTCONN = 107,
    ECONNREFUSED = 111,
    EHOSTDOWN = 112,
    EHOSTUNREACH = 113,
}
#pragma warning restore CA1707, CA1008
