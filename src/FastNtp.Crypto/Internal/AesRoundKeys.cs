using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastNtp.Crypto.Internal;

/// <summary>An expanded AES encryption key: 11, 13 or 15 round keys for AES-128, -192 or -256.</summary>
/// <remarks>Held inline (in the key object or on the stack) so that no call allocates.</remarks>
[InlineArray(MaxCount)]
internal struct AesRoundKeys
{
    public const int MaxCount = 15;

    private Vector128<byte> _element0;
}

/// <summary>Up to eight AES blocks of key stream, kept on the stack.</summary>
[InlineArray(8)]
internal struct Blocks8
{
    private Vector128<byte> _element0;
}

/// <summary>Two consecutive blocks on the stack (a CMAC tail of 17 to 31 bytes, padded).</summary>
[InlineArray(2)]
internal struct Blocks2
{
    private Vector128<byte> _element0;
}
