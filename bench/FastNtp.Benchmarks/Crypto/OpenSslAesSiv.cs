using System.Runtime.InteropServices;
using static FastNtp.Benchmarks.Crypto.LibCrypto;

namespace FastNtp.Benchmarks.Crypto;

/// <summary>
/// OpenSSL 3's AES-SIV ("AES-128-SIV", i.e. AEAD_AES_SIV_CMAC_256) driven the way its EVP API allows:
/// its SIV context does one message per key set-up, so each message starts from a copy of a keyed
/// template context (cheaper than re-running EVP_EncryptInit_ex with the key, which re-derives the CMAC
/// and CTR contexts). Associated data goes in one EVP_EncryptUpdate(out = NULL) per S2V component.
/// </summary>
internal sealed unsafe class OpenSslAesSiv : IDisposable
{
    private readonly nint _cipher;
    private readonly nint _encryptTemplate;
    private readonly nint _decryptTemplate;
    private readonly nint _work;
    private readonly byte* _key;

    public OpenSslAesSiv(ReadOnlySpan<byte> key)
    {
        _cipher = EVP_CIPHER_fetch(0, $"AES-{key.Length * 4}-SIV", null);
        if (_cipher == 0)
        {
            throw new InvalidOperationException("libcrypto has no AES-SIV.");
        }

        _key = (byte*)NativeMemory.Alloc((nuint)key.Length);
        key.CopyTo(new Span<byte>(_key, key.Length));
        _encryptTemplate = EVP_CIPHER_CTX_new();
        _decryptTemplate = EVP_CIPHER_CTX_new();
        _work = EVP_CIPHER_CTX_new();
        Check(EVP_EncryptInit_ex(_encryptTemplate, _cipher, 0, _key, null), "EVP_EncryptInit_ex");
        Check(EVP_DecryptInit_ex(_decryptTemplate, _cipher, 0, _key, null), "EVP_DecryptInit_ex");
    }

    /// <summary>IV || C over the components (AD..., then plaintext). The plaintext must not be empty (OpenSSL 3.0 skips empty updates).</summary>
    public void Seal(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int outputLength;
        fixed (byte* a = ad, n = nonce, p = plaintext, d = destination)
        {
            Check(EVP_CIPHER_CTX_copy(_work, _encryptTemplate), "EVP_CIPHER_CTX_copy");
            Check(EVP_EncryptUpdate(_work, null, &outputLength, a, ad.Length), "EVP_EncryptUpdate(AD)");
            Check(EVP_EncryptUpdate(_work, null, &outputLength, n, nonce.Length), "EVP_EncryptUpdate(nonce)");
            Check(EVP_EncryptUpdate(_work, d + 16, &outputLength, p, plaintext.Length), "EVP_EncryptUpdate");
            Check(EVP_EncryptFinal_ex(_work, d + 16 + outputLength, &outputLength), "EVP_EncryptFinal_ex");
            Check(EVP_CIPHER_CTX_ctrl(_work, EvpCtrlAeadGetTag, 16, d), "EVP_CTRL_AEAD_GET_TAG");
        }
    }

    /// <summary>Same as <see cref="Seal"/> but re-keying the context instead of copying a template.</summary>
    public void SealRekeying(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int outputLength;
        fixed (byte* a = ad, n = nonce, p = plaintext, d = destination)
        {
            Check(EVP_EncryptInit_ex(_work, _cipher, 0, _key, null), "EVP_EncryptInit_ex");
            Check(EVP_EncryptUpdate(_work, null, &outputLength, a, ad.Length), "EVP_EncryptUpdate(AD)");
            Check(EVP_EncryptUpdate(_work, null, &outputLength, n, nonce.Length), "EVP_EncryptUpdate(nonce)");
            Check(EVP_EncryptUpdate(_work, d + 16, &outputLength, p, plaintext.Length), "EVP_EncryptUpdate");
            Check(EVP_EncryptFinal_ex(_work, d + 16 + outputLength, &outputLength), "EVP_EncryptFinal_ex");
            Check(EVP_CIPHER_CTX_ctrl(_work, EvpCtrlAeadGetTag, 16, d), "EVP_CTRL_AEAD_GET_TAG");
        }
    }

    public bool Open(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedData, Span<byte> plaintext)
    {
        int outputLength;
        fixed (byte* a = ad, n = nonce, s = sealedData, p = plaintext)
        {
            Check(EVP_CIPHER_CTX_copy(_work, _decryptTemplate), "EVP_CIPHER_CTX_copy");
            Check(EVP_CIPHER_CTX_ctrl(_work, EvpCtrlAeadSetTag, 16, s), "EVP_CTRL_AEAD_SET_TAG");
            Check(EVP_DecryptUpdate(_work, null, &outputLength, a, ad.Length), "EVP_DecryptUpdate(AD)");
            Check(EVP_DecryptUpdate(_work, null, &outputLength, n, nonce.Length), "EVP_DecryptUpdate(nonce)");
            return EVP_DecryptUpdate(_work, p, &outputLength, s + 16, sealedData.Length - 16) == 1
                && EVP_DecryptFinal_ex(_work, p + outputLength, &outputLength) == 1;
        }
    }

    public void Dispose()
    {
        EVP_CIPHER_CTX_free(_work);
        EVP_CIPHER_CTX_free(_encryptTemplate);
        EVP_CIPHER_CTX_free(_decryptTemplate);
        EVP_CIPHER_free(_cipher);
        NativeMemory.Free(_key);
    }
}

/// <summary>
/// OpenSSL's AES-CMAC used exactly as OpenSSL's siv128.c computes S2V (one EVP_MAC_CTX_dup of a keyed
/// context per component), for the empty-plaintext case that OpenSSL 3.0's EVP SIV cannot run: with
/// no plaintext the AES-SIV output is the S2V value alone.
/// </summary>
internal sealed unsafe class OpenSslCmacS2V : IDisposable
{
    private readonly nint _mac;
    private readonly nint _keyed;
    private readonly byte* _cmacZero;
    private readonly byte* _cipherName;
    private readonly byte* _paramName;

    public OpenSslCmacS2V(ReadOnlySpan<byte> sivKey)
    {
        _mac = EVP_MAC_fetch(0, "CMAC", null);
        _keyed = EVP_MAC_CTX_new(_mac);
        string cipherName = $"AES-{sivKey.Length * 4}-CBC";
        _cipherName = (byte*)Marshal.StringToCoTaskMemUTF8(cipherName);
        _paramName = (byte*)Marshal.StringToCoTaskMemUTF8("cipher");
        OsslParam* parameters = stackalloc OsslParam[2];
        parameters[0] = new OsslParam { Key = _paramName, DataType = OsslParam.Utf8String, Data = _cipherName, DataSize = (nuint)cipherName.Length };
        parameters[1] = default;
        fixed (byte* k = sivKey)
        {
            Check(EVP_MAC_init(_keyed, k, (nuint)(sivKey.Length / 2), parameters), "EVP_MAC_init");
        }

        // siv128.c computes D = CMAC(<zero>) once per key and copies it with the context.
        _cmacZero = (byte*)NativeMemory.AllocZeroed(16);
        Span<byte> zero = stackalloc byte[16];
        Cmac(zero, _cmacZero);
    }

    /// <summary>V = S2V(K1, AD, nonce, "") = AES-SIV output for an empty plaintext.</summary>
    public void Seal(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> nonce, Span<byte> v)
    {
        Span<byte> d = stackalloc byte[16];
        Span<byte> t = stackalloc byte[16];
        new ReadOnlySpan<byte>(_cmacZero, 16).CopyTo(d);
        fixed (byte* pt = t)
        {
            Dbl(d);
            Cmac(ad, pt);
            Xor(d, t);
            Dbl(d);
            Cmac(nonce, pt);
            Xor(d, t);

            // Empty final component: T = dbl(D) xor pad("").
            Dbl(d);
            d[0] ^= 0x80;
            fixed (byte* pv = v)
            {
                Cmac(d, pv);
            }
        }
    }

    public bool Open(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedData)
    {
        Span<byte> v = stackalloc byte[16];
        Seal(ad, nonce, v);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(v, sealedData[..16]);
    }

    public void Dispose()
    {
        EVP_MAC_CTX_free(_keyed);
        EVP_MAC_free(_mac);
        NativeMemory.Free(_cmacZero);
        Marshal.FreeCoTaskMem((nint)_cipherName);
        Marshal.FreeCoTaskMem((nint)_paramName);
    }

    private void Cmac(ReadOnlySpan<byte> message, byte* output)
    {
        nint context = EVP_MAC_CTX_dup(_keyed);
        nuint length;
        fixed (byte* m = message)
        {
            Check(EVP_MAC_update(context, m, (nuint)message.Length), "EVP_MAC_update");
        }

        Check(EVP_MAC_final(context, output, &length, 16), "EVP_MAC_final");
        EVP_MAC_CTX_free(context);
    }

    private static void Dbl(Span<byte> s)
    {
        // OpenSSL does the same shift-and-conditional-XOR in siv128_dbl.
        int carry = s[0] >> 7;
        for (int i = 0; i < 15; i++)
        {
            s[i] = (byte)((s[i] << 1) | (s[i + 1] >> 7));
        }

        s[15] = (byte)((s[15] << 1) ^ (0x87 & -carry));
    }

    private static void Xor(Span<byte> a, ReadOnlySpan<byte> b)
    {
        for (int i = 0; i < 16; i++)
        {
            a[i] ^= b[i];
        }
    }
}
