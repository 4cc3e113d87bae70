using System.Security.Cryptography;

namespace FastNtp.Crypto.Internal;

/// <summary>
/// Start-up check of the hardware path, so a CPU or JIT surprise (for example on an Arm core this
/// code was not benchmarked on) degrades to the portable path instead of producing wrong ciphertexts.
/// </summary>
internal static class SelfTest
{
    public static bool HardwarePasses()
    {
        try
        {
            return KnownAnswers() && MatchesPortable();
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    }

    private static bool KnownAnswers()
    {
        // RFC 5297 appendix A.1 (deterministic, one AD component).
        using (var siv = new AesSiv(AeadAlgorithm.AesSivCmac256, Convert.FromHexString("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), AesImplementation.Hardware))
        {
            byte[] ad = Convert.FromHexString("101112131415161718191a1b1c1d1e1f2021222324252627");
            byte[] pt = Convert.FromHexString("112233445566778899aabbccddee");
            byte[] output = new byte[pt.Length + Aead.TagLength];
            siv.Seal([ad], pt, output);
            if (!output.AsSpan().SequenceEqual(Convert.FromHexString("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c")))
            {
                return false;
            }
        }

        // RFC 8452 appendix C.1, the last AEAD_AES_128_GCM_SIV vector (35-byte AD, 21-byte plaintext).
        using (var gcmSiv = new AesGcmSiv(Convert.FromHexString("f901cfe8a69615a93fdf7a98cad48179"), AesImplementation.Hardware))
        {
            byte[] ad = Convert.FromHexString("7576f7028ec6eb5ea7e298342a94d4b202b370ef9768ec6561c4fe6b7e7296fa859c21");
            byte[] pt = Convert.FromHexString("e42a3c02c25b64869e146d7b233987bddfc240871d");
            byte[] output = new byte[pt.Length + Aead.TagLength];
            gcmSiv.Seal(Convert.FromHexString("6245709fb18853f68d833640"), ad, pt, output);
            return output.AsSpan().SequenceEqual(
                Convert.FromHexString("391cc328d484a4f46406181bcd62efd9b3ee197d052d15506c84a9edd65e13e9d24a2a6e70"));
        }
    }

    /// <summary>Every algorithm, lengths that reach the 8-block CTR loop and the aggregated POLYVAL.</summary>
    private static bool MatchesPortable()
    {
        byte[] data = new byte[700];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + 3);
        }

        ReadOnlySpan<int> lengths = [0, 1, 15, 16, 17, 31, 32, 33, 129, 300];
        foreach (AeadAlgorithm algorithm in (ReadOnlySpan<AeadAlgorithm>)[AeadAlgorithm.AesSivCmac256, AeadAlgorithm.AesSivCmac384, AeadAlgorithm.AesSivCmac512, AeadAlgorithm.Aes128GcmSiv])
        {
            ReadOnlySpan<byte> key = data.AsSpan(100, Aead.KeyLength(algorithm));
            var hardware = Aead.Create(algorithm, key, AesImplementation.Hardware);
            Aead portable;
            try
            {
                portable = Aead.Create(algorithm, key, AesImplementation.Portable);
            }
            catch (CryptographicException)
            {
                // No framework AES to compare with: the known answers alone decide.
                hardware.Dispose();
                return true;
            }

            using (hardware)
            using (portable)
            {
                ReadOnlySpan<byte> nonce = data.AsSpan(200, hardware.NonceLength);
                byte[] a = new byte[Aead.SealedLength(300)];
                byte[] b = new byte[a.Length];
                byte[] opened = new byte[300];
                foreach (int length in lengths)
                {
                    ReadOnlySpan<byte> ad = data.AsSpan(length, 300 - length);
                    ReadOnlySpan<byte> pt = data.AsSpan(400, length);
                    int sealedLength = Aead.SealedLength(length);
                    hardware.Seal(nonce, ad, pt, a);
                    portable.Seal(nonce, ad, pt, b);
                    if (!a.AsSpan(0, sealedLength).SequenceEqual(b.AsSpan(0, sealedLength))
                        || !hardware.Open(nonce, ad, a.AsSpan(0, sealedLength), opened)
                        || !opened.AsSpan(0, length).SequenceEqual(pt))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }
}
