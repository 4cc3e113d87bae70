using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using FastNtp.Crypto.Internal;

namespace FastNtp.Crypto;

/// <summary>
/// AES-SIV-CMAC (RFC 5297): AEAD_AES_SIV_CMAC_256, _384 and _512, NTS algorithms 15, 16 and 17.
/// The first half of the key (K1) keys S2V/CMAC, the second half (K2) keys CTR.
/// </summary>
/// <remarks>
/// Besides the <see cref="Aead"/> interface (associated data, then nonce, then plaintext as S2V
/// components, as RFC 8915 uses it), this class exposes RFC 5297's general form: any vector of up to
/// <see cref="MaxAssociatedDataComponents"/> associated-data items, and S2V itself.
/// </remarks>
public sealed class AesSiv : Aead
{
    /// <summary>RFC 5297 section 7: S2V takes at most 127 components, so SIV at most 126 associated-data items.</summary>
    public const int MaxAssociatedDataComponents = 126;

    /// <summary>Q = V bitand (1^64 || 0 || 1^31 || 0 || 1^31): clears bits 63 and 31 (RFC 5297 section 2.6).</summary>
    private static Vector128<byte> CounterMask =>
        Vector128.Create(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF);

    private readonly AeadAlgorithm _algorithm;
    private readonly int _rounds;
    private readonly PortableAes? _macPortable;
    private readonly PortableAes? _ctrPortable;
    private AesRoundKeys _macKeys;
    private AesRoundKeys _ctrKeys;
    private Vector128<byte> _subkey1;      // CMAC subkey for a complete final block
    private Vector128<byte> _subkey2;      // CMAC subkey for a padded final block
    private Vector128<byte> _cmacZero;     // AES-CMAC(K1, <zero>): S2V's fixed starting value
    private Vector128<byte> _dblCmacZero;  // dbl of it, what the first component is XORed onto
    private bool _disposed;

    /// <summary>Creates a key object; the algorithm follows from the key length (32, 48 or 64 bytes).</summary>
    /// <exception cref="ArgumentException">Any other key length.</exception>
    public AesSiv(ReadOnlySpan<byte> key)
        : this(AlgorithmForKeyLength(key.Length), key, AesBackend.Default)
    {
    }

    internal AesSiv(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, AesImplementation implementation)
    {
        if (algorithm is not (AeadAlgorithm.AesSivCmac256 or AeadAlgorithm.AesSivCmac384 or AeadAlgorithm.AesSivCmac512))
        {
            throw new ArgumentException($"{algorithm} is not an AES-SIV algorithm.", nameof(algorithm));
        }

        CheckKeyLength(algorithm, key);
        _algorithm = algorithm;
        ReadOnlySpan<byte> macKey = key[..(key.Length / 2)];
        ReadOnlySpan<byte> ctrKey = key[(key.Length / 2)..];
        if (implementation == AesImplementation.Hardware)
        {
            if (!AesHardware.IsSupported)
            {
                throw new PlatformNotSupportedException("This CPU has no AES instructions.");
            }

            _rounds = AesHardware.ExpandKey(macKey, ref _macKeys);
            AesHardware.ExpandKey(ctrKey, ref _ctrKeys);
            InitializeMac(new HardwareAesCipher(ref _macKeys, _rounds));
        }
        else
        {
            _macPortable = new PortableAes(macKey);
            _ctrPortable = new PortableAes(ctrKey);
            InitializeMac(new PortableAesCipher(_macPortable));
        }
    }

    public override AeadAlgorithm Algorithm => _algorithm;

    /// <summary>16: the NTS authenticator's minimum nonce length (RFC 8915 section 5.6); SIV itself takes any non-empty nonce.</summary>
    public override int NonceLength => 16;

    internal bool IsPortable => _macPortable is not null;

    /// <inheritdoc/>
    /// <remarks>S2V components: associated data, nonce, plaintext. Any nonce of at least 1 byte.</remarks>
    public override void Seal(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> plaintext,
        Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        Span<byte> output = CheckSealArguments(nonce, associatedData, plaintext, destination);
        if (_macPortable is null)
        {
            SealWithNonce(new HardwareAesCipher(ref _macKeys, _rounds), new HardwareAesCipher(ref _ctrKeys, _rounds), nonce, associatedData, plaintext, output);
        }
        else
        {
            SealWithNonce(new PortableAesCipher(_macPortable), new PortableAesCipher(_ctrPortable!), nonce, associatedData, plaintext, output);
        }
    }

    /// <inheritdoc/>
    public override bool Open(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> sealedData,
        Span<byte> plaintextDestination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckNonce(nonce);
        if (sealedData.Length < TagLength)
        {
            return false;
        }

        Span<byte> plaintext = CheckOpenArguments(nonce, associatedData, sealedData, plaintextDestination);
        bool authentic = _macPortable is null
            ? OpenWithNonce(new HardwareAesCipher(ref _macKeys, _rounds), new HardwareAesCipher(ref _ctrKeys, _rounds), nonce, associatedData, sealedData, plaintext)
            : OpenWithNonce(new PortableAesCipher(_macPortable), new PortableAesCipher(_ctrPortable!), nonce, associatedData, sealedData, plaintext);
        if (!authentic)
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return authentic;
    }

    /// <inheritdoc/>
    public override void SetKey(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckKeyLength(_algorithm, key);
        ReadOnlySpan<byte> macKey = key[..(key.Length / 2)];
        ReadOnlySpan<byte> ctrKey = key[(key.Length / 2)..];
        if (_macPortable is null)
        {
            // Same algorithm, same round count: the expansion overwrites every round key the old key used.
            AesHardware.ExpandKey(macKey, ref _macKeys);
            AesHardware.ExpandKey(ctrKey, ref _ctrKeys);
            InitializeMac(new HardwareAesCipher(ref _macKeys, _rounds));
        }
        else
        {
            _macPortable.Rekey(macKey);
            _ctrPortable!.Rekey(ctrKey);
            InitializeMac(new PortableAesCipher(_macPortable));
        }
    }

    /// <summary>
    /// RFC 5297 SIV-ENCRYPT with a vector of associated data (0 to 126 items; a nonce, if any, is the
    /// last item). Writes IV || C, <see cref="Aead.SealedLength"/>(<paramref name="plaintext"/>.Length) bytes.
    /// </summary>
    /// <exception cref="ArgumentException">More than 126 items, a short destination or an overlapping one.</exception>
    public void Seal(ReadOnlySpan<ReadOnlyMemory<byte>> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckComponentCount(associatedData.Length);
        Span<byte> output = CheckSealArguments(default, default, plaintext, destination);
        CheckNoOverlap(output, associatedData, nameof(destination));
        Vector128<byte> v;
        if (_macPortable is null)
        {
            v = S2VComponents(new HardwareAesCipher(ref _macKeys, _rounds), associatedData, plaintext);
            new HardwareAesCipher(ref _ctrKeys, _rounds).Ctr<SivCounter>(v & CounterMask, plaintext, output[TagLength..]);
        }
        else
        {
            v = S2VComponents(new PortableAesCipher(_macPortable), associatedData, plaintext);
            new PortableAesCipher(_ctrPortable!).Ctr<SivCounter>(v & CounterMask, plaintext, output[TagLength..]);
        }

        v.StoreUnsafe(ref MemoryMarshal.GetReference(output));
    }

    /// <summary>RFC 5297 SIV-DECRYPT with a vector of associated data; false (destination zeroed) on FAIL.</summary>
    /// <exception cref="ArgumentException">More than 126 items, a short destination or an overlapping one.</exception>
    public bool Open(ReadOnlySpan<ReadOnlyMemory<byte>> associatedData, ReadOnlySpan<byte> sealedData, Span<byte> plaintextDestination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckComponentCount(associatedData.Length);
        if (sealedData.Length < TagLength)
        {
            return false;
        }

        Span<byte> plaintext = CheckOpenArguments(default, default, sealedData, plaintextDestination);
        CheckNoOverlap(plaintext, associatedData, nameof(plaintextDestination));
        var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(sealedData));
        Vector128<byte> expected;
        if (_macPortable is null)
        {
            new HardwareAesCipher(ref _ctrKeys, _rounds).Ctr<SivCounter>(v & CounterMask, sealedData[TagLength..], plaintext);
            expected = S2VComponents(new HardwareAesCipher(ref _macKeys, _rounds), associatedData, plaintext);
        }
        else
        {
            new PortableAesCipher(_ctrPortable!).Ctr<SivCounter>(v & CounterMask, sealedData[TagLength..], plaintext);
            expected = S2VComponents(new PortableAesCipher(_macPortable), associatedData, plaintext);
        }

        if (Block.FixedTimeEquals(v, expected))
        {
            return true;
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    /// <summary>
    /// S2V (RFC 5297 section 2.4) keyed with K1 over 0 to 127 components; writes the 16-byte V.
    /// With no components V = AES-CMAC(K1, &lt;one&gt;).
    /// </summary>
    /// <exception cref="ArgumentException">More than 127 components or a destination shorter than 16 bytes.</exception>
    public void S2V(ReadOnlySpan<ReadOnlyMemory<byte>> components, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (components.Length > MaxAssociatedDataComponents + 1)
        {
            throw new ArgumentException($"S2V takes at most {MaxAssociatedDataComponents + 1} components (RFC 5297 section 7).", nameof(components));
        }

        CheckS2VDestination(destination);
        Vector128<byte> v;
        if (components.IsEmpty)
        {
            // <one> = 0^127 || 1, a complete block.
            v = EncryptMac(Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) ^ _subkey1);
        }
        else
        {
            v = _macPortable is null
                ? S2VComponents(new HardwareAesCipher(ref _macKeys, _rounds), components[..^1], components[^1].Span)
                : S2VComponents(new PortableAesCipher(_macPortable), components[..^1], components[^1].Span);
        }

        v.StoreUnsafe(ref MemoryMarshal.GetReference(destination));
    }

    /// <summary>Starts an incremental S2V over components given as spans (nothing is buffered).</summary>
    public S2VBuilder CreateS2V()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new S2VBuilder(this, _cmacZero);
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Span<Vector128<byte>> macKeys = _macKeys;
        Span<Vector128<byte>> ctrKeys = _ctrKeys;
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(macKeys));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(ctrKeys));
        _subkey1 = default;
        _subkey2 = default;
        _cmacZero = default;
        _dblCmacZero = default;
        _macPortable?.Dispose();
        _ctrPortable?.Dispose();
    }

    /// <summary>One S2V step for <see cref="S2VBuilder"/>: D = dbl(D) xor AES-CMAC(K1, component).</summary>
    internal Vector128<byte> S2VStep(Vector128<byte> d, ReadOnlySpan<byte> component)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Block.Dbl(d) ^ (_macPortable is null
            ? Cmac(new HardwareAesCipher(ref _macKeys, _rounds), component)
            : Cmac(new PortableAesCipher(_macPortable), component));
    }

    /// <summary>The last S2V step for <see cref="S2VBuilder"/>.</summary>
    internal Vector128<byte> S2VFinish(Vector128<byte> d, ReadOnlySpan<byte> last)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _macPortable is null
            ? S2VFinal(new HardwareAesCipher(ref _macKeys, _rounds), d, last)
            : S2VFinal(new PortableAesCipher(_macPortable), d, last);
    }

    /// <summary>AES-CMAC(K1, message), for tests against RFC 4493 and RFC 5297's intermediate values.</summary>
    internal Vector128<byte> ComputeCmac(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _macPortable is null
            ? Cmac(new HardwareAesCipher(ref _macKeys, _rounds), message)
            : Cmac(new PortableAesCipher(_macPortable), message);
    }

    internal static void CheckS2VDestination(Span<byte> destination)
    {
        if (destination.Length < TagLength)
        {
            throw new ArgumentException($"S2V writes {TagLength} bytes.", nameof(destination));
        }
    }

    private static AeadAlgorithm AlgorithmForKeyLength(int length) => length switch
    {
        32 => AeadAlgorithm.AesSivCmac256,
        48 => AeadAlgorithm.AesSivCmac384,
        64 => AeadAlgorithm.AesSivCmac512,
        _ => throw new ArgumentException($"An AES-SIV key is 32, 48 or 64 bytes, got {length}.", "key"),
    };

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.IsEmpty)
        {
            throw new ArgumentException("An AES-SIV nonce is at least 1 byte (RFC 5297 section 6, N_MIN).", nameof(nonce));
        }
    }

    private static void CheckComponentCount(int count)
    {
        if (count > MaxAssociatedDataComponents)
        {
            throw new ArgumentException($"AES-SIV takes at most {MaxAssociatedDataComponents} associated-data items (RFC 5297 section 7).", "associatedData");
        }
    }

    private static void CheckNoOverlap(Span<byte> output, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, string name)
    {
        foreach (ReadOnlyMemory<byte> input in inputs)
        {
            if (output.Overlaps(input.Span))
            {
                throw new ArgumentException("The destination must not overlap the associated data.", name);
            }
        }
    }

    private void InitializeMac<TCipher>(TCipher mac)
        where TCipher : IAesCipher, allows ref struct
    {
        // NIST SP 800-38B subkeys: L = E(K, 0^128), K1 = dbl(L), K2 = dbl(K1).
        _subkey1 = Block.Dbl(mac.Encrypt(Vector128<byte>.Zero));
        _subkey2 = Block.Dbl(_subkey1);

        // CMAC of one complete zero block is E(0 xor K1). RFC 5297 section 5: constants are cached.
        _cmacZero = mac.Encrypt(_subkey1);
        _dblCmacZero = Block.Dbl(_cmacZero);
    }

    private Vector128<byte> EncryptMac(Vector128<byte> block) => _macPortable is null
        ? new HardwareAesCipher(ref _macKeys, _rounds).Encrypt(block)
        : new PortableAesCipher(_macPortable).Encrypt(block);

    private void SealWithNonce<TCipher>(
        TCipher mac, TCipher ctr,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> output)
        where TCipher : IAesCipher, allows ref struct
    {
        Vector128<byte> v = S2VNonce(mac, associatedData, nonce, plaintext);
        ctr.Ctr<SivCounter>(v & CounterMask, plaintext, output[TagLength..]);
        v.StoreUnsafe(ref MemoryMarshal.GetReference(output));
    }

    private bool OpenWithNonce<TCipher>(
        TCipher mac, TCipher ctr,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedData, Span<byte> plaintext)
        where TCipher : IAesCipher, allows ref struct
    {
        var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(sealedData));
        ctr.Ctr<SivCounter>(v & CounterMask, sealedData[TagLength..], plaintext);
        return Block.FixedTimeEquals(v, S2VNonce(mac, associatedData, nonce, plaintext));
    }

    /// <summary>
    /// S2V(K1, AD, N, P) for the AEAD interface. D = dbl(dbl(CMAC(zero)) xor CMAC(AD)) xor CMAC(N);
    /// CMAC(N), CMAC(AD) and the CBC-MAC chain over P up to its last 16..31 bytes do not depend on one
    /// another, so the two long ones run interleaved and only P's tail waits for D.
    /// </summary>
    private Vector128<byte> S2VNonce<TCipher>(TCipher mac, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> last)
        where TCipher : IAesCipher, allows ref struct
    {
        Vector128<byte> cmacNonce = Cmac(mac, nonce);
        int prefix = last.Length >= 16 ? (last.Length - 16) & ~15 : 0;
        CmacAlongsideChain(mac, associatedData, last[..prefix], out Vector128<byte> cmacAd, out Vector128<byte> chain);
        Vector128<byte> d = Block.Dbl(_dblCmacZero ^ cmacAd) ^ cmacNonce;
        if (last.Length < 16)
        {
            return mac.Encrypt(Block.Dbl(d) ^ Block.LoadPadded(last) ^ _subkey1);
        }

        return FinishXorend(mac, chain, last[prefix..], d);
    }

    private Vector128<byte> S2VComponents<TCipher>(TCipher mac, ReadOnlySpan<ReadOnlyMemory<byte>> components, ReadOnlySpan<byte> last)
        where TCipher : IAesCipher, allows ref struct
    {
        Vector128<byte> d = _cmacZero;
        foreach (ReadOnlyMemory<byte> component in components)
        {
            d = Block.Dbl(d) ^ Cmac(mac, component.Span);
        }

        return S2VFinal(mac, d, last);
    }

    /// <summary>S2V's last step: V = AES-CMAC(K1, Sn xorend D) or AES-CMAC(K1, dbl(D) xor pad(Sn)).</summary>
    private Vector128<byte> S2VFinal<TCipher>(TCipher mac, Vector128<byte> d, ReadOnlySpan<byte> last)
        where TCipher : IAesCipher, allows ref struct
    {
        if (last.Length < 16)
        {
            return mac.Encrypt(Block.Dbl(d) ^ Block.LoadPadded(last) ^ _subkey1);
        }

        int prefix = (last.Length - 16) & ~15;
        return FinishXorend(mac, Chain(mac, Vector128<byte>.Zero, last[..prefix]), last[prefix..], d);
    }

    /// <summary>
    /// Finishes AES-CMAC over Sn xorend D, given the chaining value <paramref name="x"/> over every block of
    /// Sn before <paramref name="tail"/> (its last 16 to 31 bytes, the only ones the xorend touches).
    /// </summary>
    private Vector128<byte> FinishXorend<TCipher>(TCipher mac, Vector128<byte> x, ReadOnlySpan<byte> tail, Vector128<byte> d)
        where TCipher : IAesCipher, allows ref struct
    {
        ref byte t = ref MemoryMarshal.GetReference(tail);
        int length = tail.Length;
        if (length == 16)
        {
            return mac.Encrypt(x ^ Vector128.LoadUnsafe(ref t) ^ d ^ _subkey1);
        }

        // 17..31 bytes: one complete block, then a padded one (CMAC subkey K2).
        Blocks2 buffer = default;
        Span<Vector128<byte>> blocks = buffer;
        Span<byte> bytes = MemoryMarshal.AsBytes(blocks);
        tail.CopyTo(bytes);
        ref byte b = ref MemoryMarshal.GetReference(bytes);
        nuint dOffset = (nuint)(length - 16);
        (Vector128.LoadUnsafe(ref b, dOffset) ^ d).StoreUnsafe(ref b, dOffset);
        bytes[length] = 0x80;
        x = mac.Encrypt(x ^ buffer[0]);
        return mac.Encrypt(x ^ buffer[1] ^ _subkey2);
    }

    /// <summary>AES-CMAC(K1, message) (NIST SP 800-38B).</summary>
    private Vector128<byte> Cmac<TCipher>(TCipher mac, ReadOnlySpan<byte> message)
        where TCipher : IAesCipher, allows ref struct
    {
        int fullBlocks = SplitForCmac(message, out Vector128<byte> final);
        return mac.Encrypt(Chain(mac, Vector128<byte>.Zero, message[..(16 * fullBlocks)]) ^ final);
    }

    /// <summary>
    /// AES-CMAC(K1, <paramref name="message"/>) and, at the same time, the CBC-MAC chaining value over
    /// <paramref name="blocks"/> (a multiple of 16 bytes), two blocks in flight per AES round.
    /// </summary>
    private void CmacAlongsideChain<TCipher>(
        TCipher mac, ReadOnlySpan<byte> message, ReadOnlySpan<byte> blocks,
        out Vector128<byte> cmac, out Vector128<byte> chain)
        where TCipher : IAesCipher, allows ref struct
    {
        int fullBlocks = SplitForCmac(message, out Vector128<byte> final);
        int messageSteps = fullBlocks + 1;
        int chainSteps = blocks.Length / 16;
        ref byte m = ref MemoryMarshal.GetReference(message);
        ref byte c = ref MemoryMarshal.GetReference(blocks);
        Vector128<byte> xm = Vector128<byte>.Zero;
        Vector128<byte> xc = Vector128<byte>.Zero;
        int common = Math.Min(messageSteps, chainSteps);
        int i = 0;
        for (; i < common; i++)
        {
            xm ^= i < fullBlocks ? Vector128.LoadUnsafe(ref m, (nuint)i * 16) : final;
            xc ^= Vector128.LoadUnsafe(ref c, (nuint)i * 16);
            mac.Encrypt2(ref xm, ref xc);
        }

        for (int j = i; j < fullBlocks; j++)
        {
            xm = mac.Encrypt(xm ^ Vector128.LoadUnsafe(ref m, (nuint)j * 16));
        }

        if (i < messageSteps)
        {
            xm = mac.Encrypt(xm ^ final);
        }

        for (int j = i; j < chainSteps; j++)
        {
            xc = mac.Encrypt(xc ^ Vector128.LoadUnsafe(ref c, (nuint)j * 16));
        }

        cmac = xm;
        chain = xc;
    }

    /// <summary>
    /// Splits a message for CMAC: returns the number of blocks before the final one and that final block
    /// with its subkey applied (complete: XOR K1; partial or empty: pad, XOR K2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SplitForCmac(ReadOnlySpan<byte> message, out Vector128<byte> final)
    {
        int length = message.Length;
        if (length != 0 && (length & 15) == 0)
        {
            final = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(message), (nuint)(length - 16)) ^ _subkey1;
            return (length >> 4) - 1;
        }

        int fullBlocks = length >> 4;
        final = Block.LoadPadded(message[(fullBlocks * 16)..]) ^ _subkey2;
        return fullBlocks;
    }

    /// <summary>CBC-MAC chaining: x = E(x xor block) over whole blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Chain<TCipher>(TCipher mac, Vector128<byte> x, ReadOnlySpan<byte> blocks)
        where TCipher : IAesCipher, allows ref struct
    {
        ref byte p = ref MemoryMarshal.GetReference(blocks);
        nuint length = (nuint)blocks.Length;
        for (nuint offset = 0; offset < length; offset += 16)
        {
            x = mac.Encrypt(x ^ Vector128.LoadUnsafe(ref p, offset));
        }

        return x;
    }
}
