using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>
/// Randomized cross-check of AES-SIV against OpenSSL (libcrypto 3 through Debian's python3-cryptography):
/// every plaintext length 0..600 with 0..4 associated-data items, all three key sizes, byte-identical
/// output from both implementations, interop in both directions and tampering rejected on both sides.
/// AES-GCM-SIV is not cross-checked this way: python3-cryptography 38 has no AES-GCM-SIV (and OpenSSL
/// 3.0 has none either); the RFC 8452 vectors and hardware/portable agreement cover it.
/// </summary>
public sealed class OpenSslCrossCheckTests
{
    private const string Python = "/usr/bin/python3";
    private const int MaxLength = 600;
    private const int MaxAdItems = 4;

    [Fact]
    public void AesSiv_MatchesOpenSsl()
    {
        Assert.True(
            File.Exists(Python),
            $"{Python} is missing. The OpenSSL cross-check needs Debian's python3 with python3-cryptography: apt-get install python3-cryptography");

        var rng = new Random(20261121);
        var cases = new List<OracleCase>();
        var inputs = new List<(byte[] Key, byte[][] Ad, byte[] Plaintext, byte[] Sealed)>();
        int[] keyLengths = [32, 48, 64];
        for (int length = 0; length <= MaxLength; length++)
        {
            for (int adItems = 0; adItems <= MaxAdItems; adItems++)
            {
                byte[] key = TestSupport.Random(rng, keyLengths[(length + adItems) % 3]);
                byte[][] ad = new byte[adItems][];
                for (int i = 0; i < adItems; i++)
                {
                    // Empty items are legal S2V components and must count as such.
                    ad[i] = TestSupport.Random(rng, rng.Next(4) == 0 ? 0 : rng.Next(1, 80));
                }

                byte[] plaintext = TestSupport.Random(rng, length);
                byte[] sealedData = SealAndCheckOurSide(key, ad, plaintext, rng);
                cases.Add(new OracleCase(
                    ToHex(key),
                    [.. ad.Select(a => ToHex(a))],
                    ToHex(plaintext),
                    ToHex(sealedData),
                    [.. Tampered(sealedData, rng).Select(t => ToHex(t))]));
                inputs.Add((key, ad, plaintext, sealedData));
            }
        }

        OracleResult[] results = RunOracle(cases);

        Assert.Equal(cases.Count, results.Length);
        for (int i = 0; i < results.Length; i++)
        {
            OracleCase c = cases[i];
            OracleResult r = results[i];
            string where = $"case {i}: key {c.Key.Length / 2} B, {c.Ad.Length} AD items, plaintext {c.Pt.Length / 2} B ({r.Source})";
            Assert.True(r.S2vConsistent, $"{where}: the oracle's own S2V disagrees with OpenSSL's AESSIV");
            Assert.True(r.Sealed == c.Ours, $"{where}: OpenSSL {r.Sealed} != ours {c.Ours}");
            Assert.True(r.OpensOurs, $"{where}: OpenSSL does not open our output");
            Assert.True(r.AcceptsTampered.All(accepted => !accepted), $"{where}: OpenSSL accepted tampered data");
        }
    }

    /// <summary>Seals with both implementations, checks our Open, and returns the sealed data.</summary>
    private static byte[] SealAndCheckOurSide(byte[] key, byte[][] ad, byte[] plaintext, Random rng)
    {
        AeadAlgorithm algorithm = key.Length switch
        {
            32 => AeadAlgorithm.AesSivCmac256,
            48 => AeadAlgorithm.AesSivCmac384,
            _ => AeadAlgorithm.AesSivCmac512,
        };
        ReadOnlyMemory<byte>[] components = [.. ad.Select(a => (ReadOnlyMemory<byte>)a)];
        using var hardware = new AesSiv(algorithm, key, Crypto.Internal.AesImplementation.Hardware);
        using var portable = new AesSiv(algorithm, key, Crypto.Internal.AesImplementation.Portable);
        byte[] sealedData = new byte[Aead.SealedLength(plaintext.Length)];
        byte[] portableSealed = new byte[sealedData.Length];
        hardware.Seal(components, plaintext, sealedData);
        portable.Seal(components, plaintext, portableSealed);
        Assert.Equal(sealedData, portableSealed);

        // With two items the AEAD interface (AD, nonce) is the same S2V vector.
        if (ad.Length == 2 && ad[1].Length > 0)
        {
            byte[] viaAead = new byte[sealedData.Length];
            hardware.Seal(ad[1], ad[0], plaintext, viaAead);
            Assert.Equal(sealedData, viaAead);
        }

        foreach (AesSiv siv in (AesSiv[])[hardware, portable])
        {
            byte[] opened = new byte[plaintext.Length];
            Assert.True(siv.Open(components, sealedData, opened));
            Assert.Equal(plaintext, opened);
            foreach (byte[] tampered in Tampered(sealedData, rng))
            {
                Array.Fill(opened, (byte)0xA5);
                Assert.False(siv.Open(components, tampered, opened));
                Assert.True(opened.AsSpan().IndexOfAnyExcept((byte)0) < 0, "a failed Open left plaintext behind");
            }

            if (ad.Length > 0)
            {
                // A flipped bit in an AD item, or a dropped item, must fail.
                ReadOnlyMemory<byte>[] changed = [.. components];
                byte[] item = ad[^1].Length > 0 ? (byte[])ad[^1].Clone() : [0];
                item[rng.Next(item.Length)] ^= (byte)(1 << rng.Next(8));
                changed[^1] = item;
                Assert.False(siv.Open(changed, sealedData, opened));
                Assert.False(siv.Open(components[..^1], sealedData, opened));
            }
        }

        return sealedData;
    }

    /// <summary>One bit flipped in the IV (tag) and, when there is one, in the ciphertext.</summary>
    private static List<byte[]> Tampered(byte[] sealedData, Random rng)
    {
        var variants = new List<byte[]>();
        byte[] tag = (byte[])sealedData.Clone();
        tag[rng.Next(16)] ^= (byte)(1 << rng.Next(8));
        variants.Add(tag);
        if (sealedData.Length > 16)
        {
            byte[] ciphertext = (byte[])sealedData.Clone();
            ciphertext[16 + rng.Next(sealedData.Length - 16)] ^= (byte)(1 << rng.Next(8));
            variants.Add(ciphertext);
        }

        return variants;
    }

    private static OracleResult[] RunOracle(List<OracleCase> cases)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "OpenSsl", "aessiv_oracle.py");
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { script },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(JsonSerializer.Serialize(new OracleRequest(cases)));
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "The OpenSSL oracle did not finish within a minute.");
        Assert.True(
            process.ExitCode == 0,
            $"The OpenSSL oracle failed (exit {process.ExitCode}): {stderr.Result}. " +
            "It needs Debian's python3-cryptography: apt-get install python3-cryptography");
        return JsonSerializer.Deserialize<OracleResponse>(stdout.Result)?.Results
            ?? throw new InvalidOperationException("The OpenSSL oracle wrote no results.");
    }

    private sealed record OracleRequest([property: JsonPropertyName("cases")] List<OracleCase> Cases);

    private sealed record OracleCase(
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("ad")] string[] Ad,
        [property: JsonPropertyName("pt")] string Pt,
        [property: JsonPropertyName("ours")] string Ours,
        [property: JsonPropertyName("tampered")] string[] Tampered);

    private sealed record OracleResponse([property: JsonPropertyName("results")] OracleResult[] Results);

    private sealed record OracleResult(
        [property: JsonPropertyName("sealed")] string Sealed,
        [property: JsonPropertyName("s2vConsistent")] bool S2vConsistent,
        [property: JsonPropertyName("opensOurs")] bool OpensOurs,
        [property: JsonPropertyName("acceptsTampered")] bool[] AcceptsTampered,
        [property: JsonPropertyName("source")] string Source);
}
