using System.Runtime.Intrinsics;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// One AES key as the modes need it. Implemented by value types only (<see cref="HardwareAesCipher"/>,
/// <see cref="PortableAesCipher"/>) so generic mode code is compiled once per implementation, with no
/// interface dispatch per block.
/// </summary>
internal interface IAesCipher
{
    Vector128<byte> Encrypt(Vector128<byte> block);

    /// <summary>Encrypts two independent blocks (two CMAC chains advanced together).</summary>
    void Encrypt2(ref Vector128<byte> a, ref Vector128<byte> b);

    void Encrypt4(ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d);

    /// <summary>
    /// XORs <paramref name="source"/> with the key stream E(counter), E(counter + 1), ... into
    /// <paramref name="destination"/> (at least as long as the source).
    /// </summary>
    void Ctr<TCounter>(Vector128<byte> counter, ReadOnlySpan<byte> source, Span<byte> destination)
        where TCounter : struct, ICounterBlock;
}
