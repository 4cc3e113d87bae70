using System.Runtime.InteropServices;

namespace FastNtp.Benchmarks.Crypto;

/// <summary>The few libcrypto 3 calls the AEAD comparison needs (OpenSSL's own AES-SIV and AES-CMAC).</summary>
internal static unsafe partial class LibCrypto
{
    public const int EvpCtrlAeadGetTag = 0x10;
    public const int EvpCtrlAeadSetTag = 0x11;

    private const string Library = "libcrypto.so.3";

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint EVP_CIPHER_fetch(nint libraryContext, string algorithm, string? properties);

    [LibraryImport(Library)]
    public static partial void EVP_CIPHER_free(nint cipher);

    [LibraryImport(Library)]
    public static partial nint EVP_CIPHER_CTX_new();

    [LibraryImport(Library)]
    public static partial void EVP_CIPHER_CTX_free(nint context);

    [LibraryImport(Library)]
    public static partial int EVP_CIPHER_CTX_copy(nint destination, nint source);

    [LibraryImport(Library)]
    public static partial int EVP_CIPHER_CTX_ctrl(nint context, int type, int argument, void* pointer);

    [LibraryImport(Library)]
    public static partial int EVP_EncryptInit_ex(nint context, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Library)]
    public static partial int EVP_EncryptUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    [LibraryImport(Library)]
    public static partial int EVP_EncryptFinal_ex(nint context, byte* output, int* outputLength);

    [LibraryImport(Library)]
    public static partial int EVP_DecryptInit_ex(nint context, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Library)]
    public static partial int EVP_DecryptUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    [LibraryImport(Library)]
    public static partial int EVP_DecryptFinal_ex(nint context, byte* output, int* outputLength);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint EVP_MAC_fetch(nint libraryContext, string algorithm, string? properties);

    [LibraryImport(Library)]
    public static partial void EVP_MAC_free(nint mac);

    [LibraryImport(Library)]
    public static partial nint EVP_MAC_CTX_new(nint mac);

    [LibraryImport(Library)]
    public static partial nint EVP_MAC_CTX_dup(nint context);

    [LibraryImport(Library)]
    public static partial void EVP_MAC_CTX_free(nint context);

    [LibraryImport(Library)]
    public static partial int EVP_MAC_init(nint context, byte* key, nuint keyLength, OsslParam* parameters);

    [LibraryImport(Library)]
    public static partial int EVP_MAC_update(nint context, byte* data, nuint length);

    [LibraryImport(Library)]
    public static partial int EVP_MAC_final(nint context, byte* output, nuint* outputLength, nuint outputSize);

    /// <summary>OSSL_PARAM (include/openssl/core.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OsslParam
    {
        public const uint Utf8String = 4;

        public byte* Key;
        public uint DataType;
        public void* Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    public static void Check(int result, string call)
    {
        if (result != 1)
        {
            throw new InvalidOperationException($"libcrypto {call} failed ({result}).");
        }
    }
}
