using System.Security.Cryptography;
using FastNtp.Crypto;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Server;

namespace FastNtp.Fuzz;

/// <summary>
/// Fixed keys shared by the targets and the seed writer: the seeds carry cookies sealed under this key set and
/// authenticators made with these session keys, so the fuzzer starts inside the AEAD paths instead of at a NAK.
/// </summary>
internal static class FuzzKeys
{
    public const long Epoch = 1000;
    public const int StaleEpochs = 2;
    public const AeadAlgorithm Algorithm = AeadAlgorithm.AesSivCmac256;

    public static readonly byte[] RootSecret = Filled(32, 0x11);
    public static readonly byte[] C2S = Filled(Aead.KeyLength(Algorithm), 0x22);
    public static readonly byte[] S2C = Filled(Aead.KeyLength(Algorithm), 0x33);
    public static readonly byte[] UniqueId = Filled(32, 0x44);

    public static CookieKeyStore NewStore() => new(CookieKeySet.Derive(RootSecret, Epoch, StaleEpochs));

    private static byte[] Filled(int length, byte value)
    {
        byte[] bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }
}

/// <summary>A TLS exporter stand-in with stable output, so an NTS-KE session's keys repeat from run to run.</summary>
internal sealed class FixedExporter : INtsKeyExporter
{
    public bool TryExport(ReadOnlySpan<byte> context, Span<byte> output)
    {
        Span<byte> block = stackalloc byte[HMACSHA512.HashSizeInBytes];
        Span<byte> input = stackalloc byte[context.Length + 1];
        context.CopyTo(input);
        for (int offset = 0; offset < output.Length; offset += block.Length)
        {
            input[^1] = (byte)(offset / block.Length);
            HMACSHA512.HashData(FuzzKeys.RootSecret, input, block);
            block[..Math.Min(block.Length, output.Length - offset)].CopyTo(output[offset..]);
        }

        return true;
    }
}

/// <summary>
/// The targets' shared objects. Kept out of <see cref="FuzzTargets"/> so that looking a target up runs no
/// instrumented code: that may only run once SharpFuzz has mapped AFL++'s coverage map.
/// </summary>
internal static class Fixtures
{
    internal static readonly ServerSnapshot Snapshot = ServerSnapshot.LocalClock(1, -20, FixedClock.Time);
    internal static readonly byte[] Response = new byte[65536];
    internal static readonly Responder Plain = new();
    internal static readonly CookieKeyStore Keys = FuzzKeys.NewStore();
    internal static readonly Responder Nts = new(new NtsResponder(Keys));
    internal static readonly NtsCookieCodec Cookies = new(Keys, new RandomPool());
    internal static readonly NtsKeServerPolicy KePolicy =
        new([AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv], 1024, 8, "ntp.example", 1123);
    internal static readonly ushort[] KeAlgorithms = [(ushort)AeadAlgorithm.AesSivCmac256, (ushort)AeadAlgorithm.Aes128GcmSiv];
    internal static readonly FixedExporter Exporter = new();
    internal static readonly Aead S2CAead = Aead.Create(FuzzKeys.Algorithm, FuzzKeys.S2C);
    internal static readonly List<byte[]> NewCookies = [];
    internal static readonly string ConfigPath = Path.Combine(Path.GetTempPath(), $"fastntp-fuzz-{Environment.ProcessId}.json");
}
