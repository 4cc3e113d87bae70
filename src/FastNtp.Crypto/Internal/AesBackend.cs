namespace FastNtp.Crypto.Internal;

/// <summary>Which AES implementation an AEAD key object uses.</summary>
internal enum AesImplementation
{
    /// <summary>AES-NI + PCLMULQDQ on x86, AES + PMULL on Arm64.</summary>
    Hardware,

    /// <summary>The framework's AES-ECB and a constant-time software POLYVAL.</summary>
    Portable,
}

/// <summary>Chooses the implementation once per process.</summary>
internal static class AesBackend
{
    /// <summary>
    /// Hardware when the CPU has the instructions and the hardware path passes the known-answer and
    /// cross-implementation self-test; otherwise the portable fallback.
    /// </summary>
    public static AesImplementation Default { get; } = Select();

    private static AesImplementation Select() =>
        AesHardware.IsSupported && SelfTest.HardwarePasses() ? AesImplementation.Hardware : AesImplementation.Portable;
}
