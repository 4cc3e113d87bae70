using System.Security.Cryptography;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>A TLS exporter stand-in: keying material is HMAC(secret, context), so both sides of a test agree and contexts differ.</summary>
internal sealed class FakeExporter(byte[] secret, bool works = true) : INtsKeyExporter
{
    public int Calls { get; private set; }

    public bool TryExport(ReadOnlySpan<byte> context, Span<byte> output)
    {
        Calls++;
        if (!works) return false;
        Span<byte> block = stackalloc byte[64];
        for (int offset = 0, counter = 0; offset < output.Length; offset += block.Length, counter++)
        {
            byte[] input = [.. context, (byte)counter];
            HMACSHA512.HashData(secret, input, block);
            block[..Math.Min(block.Length, output.Length - offset)].CopyTo(output[offset..]);
        }

        return true;
    }
}
