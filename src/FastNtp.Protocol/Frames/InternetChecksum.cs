using System.Buffers.Binary;

namespace FastNtp.Protocol.Frames;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words,
/// and its incremental update (RFC 1624 equation 3) for fields rewritten in place.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running sum as big-endian 16-bit words (an odd last byte is padded with zero).</summary>
    /// <remarks>The sum is kept wide and folded only at the end; 32-bit words sum to the same folded value as 16-bit ones.</remarks>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4) sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    /// <summary>Folds a running sum into 16 bits with end-around carry (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum to store: the complement of the folded sum of <paramref name="data"/>.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Add(0, data));

    /// <summary>True when <paramref name="data"/>, checksum field included, sums to all ones, as a correct header does.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Fold(Add(0, data)) == 0xFFFF;

    /// <summary>The checksum after one 16-bit word of the covered data changed from <paramref name="oldWord"/> to <paramref name="newWord"/>.</summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord) =>
        (ushort)~Fold((ulong)(ushort)~checksum + (ushort)~oldWord + newWord);

    /// <summary>
    /// The checksum after the covered bytes <paramref name="oldBytes"/> were replaced by <paramref name="newBytes"/>
    /// (same even length, starting at an even offset of the covered data).
    /// </summary>
    public static ushort Update(ushort checksum, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes)
    {
        if (oldBytes.Length != newBytes.Length || (oldBytes.Length & 1) != 0)
            throw new ArgumentException("An incremental update replaces whole 16-bit words with as many words.", nameof(newBytes));
        ulong sum = (ushort)~checksum;
        for (int i = 0; i < oldBytes.Length; i += 2)
            sum += (ushort)~BinaryPrimitives.ReadUInt16BigEndian(oldBytes[i..]) + (ulong)BinaryPrimitives.ReadUInt16BigEndian(newBytes[i..]);
        return (ushort)~Fold(sum);
    }
}
