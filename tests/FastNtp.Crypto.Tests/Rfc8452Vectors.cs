using System.Reflection;
using System.Text;

namespace FastNtp.Crypto.Tests;

/// <summary>One AEAD_AES_128_GCM_SIV example of RFC 8452 appendix C.1, with its intermediate values.</summary>
public sealed record Rfc8452Vector(
    int Index,
    byte[] Plaintext,
    byte[] Aad,
    byte[] Key,
    byte[] Nonce,
    byte[] AuthenticationKey,
    byte[] EncryptionKey,
    byte[] PolyvalInput,
    byte[] PolyvalResult,
    byte[] Tag,
    byte[] Result)
{
    public override string ToString() => $"C.1 #{Index + 1} (PT {Plaintext.Length} B, AAD {Aad.Length} B)";
}

/// <summary>Reads Vectors/rfc8452-c1.txt, which keeps the RFC's own layout.</summary>
internal static class Rfc8452Vectors
{
    public static IReadOnlyList<Rfc8452Vector> All { get; } = Load();

    private static List<Rfc8452Vector> Load()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("rfc8452-c1.txt")
            ?? throw new InvalidOperationException("Embedded resource rfc8452-c1.txt is missing.");
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var vectors = new List<Rfc8452Vector>();
        Dictionary<string, StringBuilder>? fields = null;
        StringBuilder? current = null;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            string trimmed = line.Trim();
            int equals = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                // "Name (n bytes) = hex": the byte count is checked against the hex below.
                string name = trimmed[..equals].Trim();
                int paren = name.IndexOf(" (", StringComparison.Ordinal);
                if (paren >= 0)
                {
                    name = name[..paren];
                }

                if (name == "Plaintext")
                {
                    if (fields is not null)
                    {
                        vectors.Add(Build(vectors.Count, fields));
                    }

                    fields = [];
                }

                if (fields is null)
                {
                    continue;
                }

                current = new StringBuilder(trimmed[(equals + 1)..].Trim());
                fields[name] = current;
            }
            else if (current is not null && trimmed.Length > 0 && trimmed.All(Uri.IsHexDigit))
            {
                current.Append(trimmed);
            }
        }

        if (fields is not null)
        {
            vectors.Add(Build(vectors.Count, fields));
        }

        return vectors;
    }

    private static Rfc8452Vector Build(int index, Dictionary<string, StringBuilder> fields)
    {
        byte[] Field(string name) => Convert.FromHexString(fields[name].ToString());
        return new Rfc8452Vector(
            index,
            Field("Plaintext"),
            Field("AAD"),
            Field("Key"),
            Field("Nonce"),
            Field("Record authentication key"),
            Field("Record encryption key"),
            Field("POLYVAL input"),
            Field("POLYVAL result"),
            Field("Tag"),
            Field("Result"));
    }
}
