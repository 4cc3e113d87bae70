using FastNtp.Crypto.Internal;

namespace FastNtp.Crypto;

/// <summary>
/// An AEAD key ready for use: the expanded key schedule and per-key constants are computed once here,
/// and <see cref="Seal"/>/<see cref="Open"/> then allocate nothing. One instance per worker thread:
/// an instance is not safe for concurrent use (it holds scratch state on the portable path).
/// </summary>
public abstract class Aead : IDisposable
{
    /// <summary>The authentication tag (the SIV, for AES-SIV) is 16 bytes for every supported algorithm.</summary>
    public const int TagLength = 16;

    private protected Aead()
    {
    }

    /// <summary>
    /// True when AEADs created by <see cref="Create(AeadAlgorithm, ReadOnlySpan{byte})"/> run on the CPU's AES and carry-less multiply
    /// instructions (and passed the start-up self-test); false when they use the portable fallback.
    /// </summary>
    public static bool IsHardwareAccelerated => AesBackend.Default == AesImplementation.Hardware;

    public abstract AeadAlgorithm Algorithm { get; }

    /// <summary>The nonce length NTS should generate: 16 for the AES-SIV family, 12 for AES-GCM-SIV.</summary>
    public abstract int NonceLength { get; }

    /// <summary>Creates a key object for <paramref name="algorithm"/>.</summary>
    /// <exception cref="ArgumentException">Unknown algorithm or wrong key length (configuration errors).</exception>
    public static Aead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key) =>
        Create(algorithm, key, AesBackend.Default);

    internal static Aead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, AesImplementation implementation) =>
        algorithm switch
        {
            AeadAlgorithm.AesSivCmac256 or AeadAlgorithm.AesSivCmac384 or AeadAlgorithm.AesSivCmac512 =>
                new AesSiv(algorithm, key, implementation),
            AeadAlgorithm.Aes128GcmSiv => new AesGcmSiv(key, implementation),
            _ => throw UnknownAlgorithm(algorithm),
        };

    /// <summary>The key length in bytes: 32, 48, 64 for AES-SIV-CMAC-256/384/512, 16 for AES-128-GCM-SIV.</summary>
    /// <exception cref="ArgumentException">Unknown algorithm.</exception>
    public static int KeyLength(AeadAlgorithm algorithm) => algorithm switch
    {
        AeadAlgorithm.AesSivCmac256 => 32,
        AeadAlgorithm.AesSivCmac384 => 48,
        AeadAlgorithm.AesSivCmac512 => 64,
        AeadAlgorithm.Aes128GcmSiv => 16,
        _ => throw UnknownAlgorithm(algorithm),
    };

    /// <summary>Whether an AEAD identifier received in NTS-KE is one this library implements.</summary>
    public static bool IsSupported(ushort algorithmId) => algorithmId is 15 or 16 or 17 or 30;

    /// <summary>The number of bytes <see cref="Seal"/> writes for a plaintext of the given length.</summary>
    public static int SealedLength(int plaintextLength) => plaintextLength + TagLength;

    /// <summary>
    /// Encrypts and authenticates, writing <see cref="SealedLength"/>(<paramref name="plaintext"/>.Length) bytes:
    /// IV || C for AES-SIV, C || T for AES-GCM-SIV (each RFC's output). For AES-SIV the associated data is
    /// one S2V component and the nonce the next, as RFC 8915 uses RFC 5297's nonce-based mode.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Wrong nonce length (AES-SIV: at least 1 byte; AES-GCM-SIV: exactly 12), a destination that is too
    /// short, or a destination that overlaps an input. These are caller bugs.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The key has been disposed.</exception>
    public abstract void Seal(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> plaintext,
        Span<byte> destination);

    /// <summary>
    /// Verifies and decrypts <paramref name="sealedData"/> into the first
    /// <paramref name="sealedData"/>.Length - <see cref="TagLength"/> bytes of <paramref name="plaintextDestination"/>.
    /// </summary>
    /// <returns>
    /// False on any authentication failure, including sealed data shorter than a tag; the destination's
    /// plaintext bytes are then zeroed. Bad data never throws.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// Wrong nonce length, a destination shorter than the plaintext, or a destination that overlaps an input.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The key has been disposed.</exception>
    public abstract bool Open(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> sealedData,
        Span<byte> plaintextDestination);

    /// <summary>
    /// Replaces the key with another of the same algorithm, overwriting the old key schedule and per-key
    /// constants in place. On the hardware path this allocates nothing, so a pool of key objects can serve
    /// an unbounded stream of keys (one NTS session after another) without garbage.
    /// </summary>
    /// <remarks>
    /// On the portable fallback the framework's AES is re-keyed, which allocates a new native cipher context.
    /// </remarks>
    /// <exception cref="ArgumentException">The key is not <see cref="KeyLength"/>(<see cref="Algorithm"/>) bytes.</exception>
    /// <exception cref="ObjectDisposedException">The key object has been disposed.</exception>
    public abstract void SetKey(ReadOnlySpan<byte> key);

    /// <summary>Zeroes the key material. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public abstract void Dispose();

    private protected static void CheckKeyLength(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        int keyLength = KeyLength(algorithm);
        if (key.Length != keyLength)
        {
            throw new ArgumentException($"{algorithm} needs a {keyLength}-byte key, got {key.Length} bytes.", nameof(key));
        }
    }

    private protected static Span<byte> CheckSealArguments(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> plaintext,
        Span<byte> destination)
    {
        int length = SealedLength(plaintext.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException(
                $"The destination needs {length} bytes (plaintext + {TagLength}), it has {destination.Length}.",
                nameof(destination));
        }

        Span<byte> output = destination[..length];
        if (output.Overlaps(plaintext) || output.Overlaps(associatedData) || output.Overlaps(nonce))
        {
            throw new ArgumentException("The destination must not overlap the nonce, associated data or plaintext.", nameof(destination));
        }

        return output;
    }

    /// <summary>Returns the plaintext span to write; the caller has checked sealed data is at least a tag long.</summary>
    private protected static Span<byte> CheckOpenArguments(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> sealedData,
        Span<byte> plaintextDestination)
    {
        int length = sealedData.Length - TagLength;
        if (plaintextDestination.Length < length)
        {
            throw new ArgumentException(
                $"The plaintext destination needs {length} bytes (sealed data - {TagLength}), it has {plaintextDestination.Length}.",
                nameof(plaintextDestination));
        }

        Span<byte> output = plaintextDestination[..length];
        if (output.Overlaps(sealedData) || output.Overlaps(associatedData) || output.Overlaps(nonce))
        {
            throw new ArgumentException("The plaintext destination must not overlap the nonce, associated data or sealed data.", nameof(plaintextDestination));
        }

        return output;
    }

    private static ArgumentException UnknownAlgorithm(AeadAlgorithm algorithm) =>
        new($"Unsupported AEAD algorithm {(ushort)algorithm}; supported are 15, 16, 17 (AES-SIV-CMAC) and 30 (AES-128-GCM-SIV).", nameof(algorithm));
}
