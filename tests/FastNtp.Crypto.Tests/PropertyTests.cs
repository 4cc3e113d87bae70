using FsCheck;
using FsCheck.Fluent;
using static FastNtp.Crypto.Tests.TestSupport;

namespace FastNtp.Crypto.Tests;

/// <summary>FsCheck properties: Open inverts Seal, and the hardware and portable paths agree bit for bit.</summary>
public sealed class PropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true);

    /// <summary>A generated message: algorithm, key, nonce, AD, plaintext (lengths around the block and 8-block edges).</summary>
    public sealed record Message(AeadAlgorithm Algorithm, byte[] Key, byte[] Nonce, byte[] Ad, byte[] Plaintext)
    {
        public override string ToString() =>
            $"{Algorithm} nonce {Convert.ToHexString(Nonce)} AD {Convert.ToHexString(Ad)} PT {Convert.ToHexString(Plaintext)}";
    }

    private static Arbitrary<Message> Messages()
    {
        static Gen<byte[]> Bytes(int min, int max) =>
            Gen.Choose(min, max).SelectMany(length => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length));
        Gen<Message> messages =
            from algorithm in Gen.Elements(Algorithms)
            from key in Bytes(Aead.KeyLength(algorithm), Aead.KeyLength(algorithm))
            from nonce in algorithm == AeadAlgorithm.Aes128GcmSiv ? Bytes(12, 12) : Bytes(1, 40)
            from ad in Gen.OneOf(Bytes(0, 20), Bytes(0, 300))
            from plaintext in Gen.OneOf(Bytes(0, 40), Bytes(100, 300))
            select new Message(algorithm, key, nonce, ad, plaintext);
        return messages.ToArbitrary();
    }

    [Fact]
    public void OpenOfSeal_IsIdentity()
    {
        Prop.ForAll(Messages(), m =>
        {
            foreach (Backend backend in Backends)
            {
                using Aead aead = Create(m.Algorithm, m.Key, backend);
                byte[] sealedData = new byte[Aead.SealedLength(m.Plaintext.Length)];
                aead.Seal(m.Nonce, m.Ad, m.Plaintext, sealedData);
                byte[] opened = new byte[m.Plaintext.Length];
                if (!aead.Open(m.Nonce, m.Ad, sealedData, opened) || !opened.AsSpan().SequenceEqual(m.Plaintext))
                {
                    return false;
                }
            }

            return true;
        }).Check(Config);
    }

    [Fact]
    public void Hardware_EqualsPortable()
    {
        Prop.ForAll(Messages(), m =>
        {
            using Aead hardware = Create(m.Algorithm, m.Key, Backend.Hardware);
            using Aead portable = Create(m.Algorithm, m.Key, Backend.Portable);
            byte[] a = new byte[Aead.SealedLength(m.Plaintext.Length)];
            byte[] b = new byte[a.Length];
            hardware.Seal(m.Nonce, m.Ad, m.Plaintext, a);
            portable.Seal(m.Nonce, m.Ad, m.Plaintext, b);
            return a.AsSpan().SequenceEqual(b);
        }).Check(Config);
    }

    [Fact]
    public void SivNonceInterface_EqualsTheGeneralForm()
    {
        Prop.ForAll(Messages().Filter(m => m.Algorithm != AeadAlgorithm.Aes128GcmSiv), m =>
        {
            using var siv = new AesSiv(m.Key);
            byte[] a = new byte[Aead.SealedLength(m.Plaintext.Length)];
            byte[] b = new byte[a.Length];
            siv.Seal(m.Nonce, m.Ad, m.Plaintext, a);
            siv.Seal([m.Ad, m.Nonce], m.Plaintext, b);
            byte[] v = new byte[16];
            siv.S2V([m.Ad, m.Nonce, m.Plaintext], v);
            return a.AsSpan().SequenceEqual(b) && a.AsSpan(0, 16).SequenceEqual(v);
        }).Check(Config);
    }
}
