using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>How one NTS-KE exchange ended for the client; <see cref="Pending"/> while the response is still arriving.</summary>
public enum NtsKeClientOutcome : byte
{
    Pending,
    /// <summary>Keys and cookies in <see cref="NtsKeClientSession.Agreement"/>.</summary>
    Agreed,
    /// <summary>The response refused us or broke RFC 8915; <see cref="NtsKeClientSession.Response"/> says how.</summary>
    Refused,
    /// <summary>More than <see cref="NtsKeClientSession.MaxResponseLength"/> octets without End of Message.</summary>
    TooLong,
    /// <summary>The server closed before End of Message.</summary>
    Incomplete,
    /// <summary>The TLS session could not export the keys.</summary>
    KeyExportFailed,
}

/// <summary>What NTS-KE agreed: everything an NTS client needs for NTP, with the server's NTP location if it named one.</summary>
public sealed record NtsKeAgreement(
    AeadAlgorithm Algorithm, string? NtpServer, ushort? NtpPort, byte[] C2SKey, byte[] S2CKey, IReadOnlyList<byte[]> Cookies);

/// <summary>
/// The client side of one NTS-KE exchange (RFC 8915 section 4) as a pure state machine: <see cref="Request"/> to
/// send, then everything received so far until a final outcome. Keys come from an injected exporter.
/// </summary>
public sealed class NtsKeClientSession
{
    /// <summary>A response longer than this (eight 256-octet cookies are about 2 KiB) is refused.</summary>
    public const int MaxResponseLength = 65535;

    private readonly ushort[] _offered;

    /// <param name="algorithms">AEADs offered, most preferred first.</param>
    public NtsKeClientSession(IReadOnlyList<AeadAlgorithm> algorithms)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        if (algorithms.Count == 0) throw new ArgumentException("Offer at least one AEAD algorithm.", nameof(algorithms));
        _offered = new ushort[algorithms.Count];
        for (int i = 0; i < _offered.Length; i++) _offered[i] = (ushort)algorithms[i];
        Request = NtsKeResponse.BuildRequest(_offered);
    }

    /// <summary>The request: NTPv4, the algorithms, End of Message.</summary>
    public ReadOnlyMemory<byte> Request { get; }

    public NtsKeClientOutcome Outcome { get; private set; }

    /// <summary>The decoded response once one arrived (for a refusal's reason).</summary>
    public NtsKeResponse? Response { get; private set; }

    public NtsKeAgreement? Agreement { get; private set; }

    /// <summary>Examines everything received so far (from the first octet).</summary>
    public NtsKeClientOutcome Receive(ReadOnlySpan<byte> received, INtsKeyExporter exporter)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        ThrowIfFinished();
        if (NtsKeMessage.Scan(received, out int length) == NtsKeMessageStatus.Incomplete)
            return received.Length > MaxResponseLength ? Outcome = NtsKeClientOutcome.TooLong : NtsKeClientOutcome.Pending;

        var response = NtsKeResponse.Parse(received[..length], _offered);
        Response = response;
        if (response.Error != NtsKeResponseError.None) return Outcome = NtsKeClientOutcome.Refused;

        var algorithm = (AeadAlgorithm)response.Algorithm;
        int keyLength = Aead.KeyLength(algorithm);
        byte[] c2s = new byte[keyLength], s2c = new byte[keyLength];
        if (!NtsKeMessage.TryExportKeys(exporter, algorithm, c2s, s2c)) return Outcome = NtsKeClientOutcome.KeyExportFailed;
        Agreement = new NtsKeAgreement(algorithm, response.NtpServer, response.NtpPort, c2s, s2c, response.Cookies);
        return Outcome = NtsKeClientOutcome.Agreed;
    }

    /// <summary>The server closed its side before End of Message.</summary>
    public NtsKeClientOutcome EndOfStream()
    {
        ThrowIfFinished();
        return Outcome = NtsKeClientOutcome.Incomplete;
    }

    private void ThrowIfFinished()
    {
        if (Outcome != NtsKeClientOutcome.Pending) throw new InvalidOperationException("The NTS-KE exchange is over.");
    }
}
