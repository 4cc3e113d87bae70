using System.Security.Cryptography;

namespace FastNtp.Protocol.Nts;

/// <summary>
/// Per-thread random octets for nonces, drawn from the OS generator a block at a time so the per-packet path
/// makes no system call and allocates nothing. Not thread-safe.
/// </summary>
public sealed class RandomPool
{
    private readonly byte[] _pool = new byte[4096];
    private int _used;

    public RandomPool()
    {
        _used = _pool.Length;
    }

    public void Fill(Span<byte> destination)
    {
        if (destination.Length > _pool.Length)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        if (_pool.Length - _used < destination.Length)
        {
            RandomNumberGenerator.Fill(_pool);
            _used = 0;
        }

        Span<byte> taken = _pool.AsSpan(_used, destination.Length);
        taken.CopyTo(destination);
        // Octets handed out are wiped, so a later memory disclosure cannot reveal earlier nonces.
        taken.Clear();
        _used += destination.Length;
    }
}
