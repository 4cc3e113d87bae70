namespace FastNtp.Crypto;

/// <summary>
/// AEAD algorithm identifiers from the IANA "AEAD Algorithms" registry (RFC 5116), the numbers
/// NTS-KE (RFC 8915) negotiates in its AEAD Algorithm Negotiation record.
/// </summary>
public enum AeadAlgorithm : ushort
{
    /// <summary>AEAD_AES_SIV_CMAC_256 (RFC 5297): 32-byte key, the algorithm every NTS implementation must support.</summary>
    AesSivCmac256 = 15,

    /// <summary>AEAD_AES_SIV_CMAC_384 (RFC 5297): 48-byte key.</summary>
    AesSivCmac384 = 16,

    /// <summary>AEAD_AES_SIV_CMAC_512 (RFC 5297): 64-byte key.</summary>
    AesSivCmac512 = 17,

    /// <summary>AEAD_AES_128_GCM_SIV (RFC 8452): 16-byte key, 12-byte nonce.</summary>
    Aes128GcmSiv = 30,
}
