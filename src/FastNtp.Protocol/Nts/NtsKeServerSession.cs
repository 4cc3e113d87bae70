using System.Text;
using FastNtp.Crypto;

namespace FastNtp.Protocol.Nts;

/// <summary>How one NTS-KE exchange ended on the server; <see cref="Pending"/> while the request is still arriving.</summary>
public enum NtsKeServerOutcome : byte
{
    Pending,
    /// <summary>Keys agreed and cookies sent.</summary>
    KeysIssued,
    /// <summary>Answered with Error "bad request": records broke RFC 8915, or data followed End of Message.</summary>
    BadRequest,
    /// <summary>Answered with Error "unrecognized critical record".</summary>
    UnrecognizedCriticalRecord,
    /// <summary>Answered with an empty Next Protocol record.</summary>
    NoCommonProtocol,
    /// <summary>Answered with an empty AEAD Algorithm record.</summary>
    NoCommonAlgorithm,
    /// <summary>More than the request limit without End of Message: answered with Error "bad request".</summary>
    Oversize,
    /// <summary>The client closed before End of Message; nothing is answered.</summary>
    Incomplete,
    /// <summary>The request did not arrive in time; nothing is answered.</summary>
    TimedOut,
    /// <summary>Key export or the response failed (a bug or a broken TLS session): answered with Error "internal server error".</summary>
    InternalError,
}

public static class NtsKeServerOutcomes
{
    /// <summary>Number of <see cref="NtsKeServerOutcome"/> values, for per-outcome counter arrays.</summary>
    public const int Count = (int)NtsKeServerOutcome.InternalError + 1;
}

/// <summary>What the server does next: keep reading (<see cref="NtsKeServerOutcome.Pending"/>), or send <see cref="ResponseLength"/> octets (maybe none) and close.</summary>
public readonly record struct NtsKeServerStep(NtsKeServerOutcome Outcome, int ResponseLength, int CookiesIssued)
{
    public bool IsFinal => Outcome != NtsKeServerOutcome.Pending;
}

/// <summary>What an NTS-KE server hands out and how large a request may be; shared by every connection.</summary>
public sealed class NtsKeServerPolicy
{
    /// <summary>RFC 8915 servers send eight cookies; a client keeps no more.</summary>
    public const int MaxCookiesPerResponse = 8;

    /// <summary>A request needs at least a Next Protocol, an AEAD Algorithm and an End of Message record.</summary>
    public const int MinRequestLength = 64;

    private readonly ushort[] _algorithmIds;
    private readonly byte[] _ntpServerAscii;

    /// <param name="algorithms">AEADs this server agrees to; the client's most preferred of them wins.</param>
    /// <param name="ntpServer">NTP server name sent to clients (printable ASCII), or null for this host.</param>
    /// <param name="ntpPort">NTP port sent to clients, or null for none (clients use 123).</param>
    /// <exception cref="ArgumentException">A value out of range: a configuration error.</exception>
    public NtsKeServerPolicy(IReadOnlyList<AeadAlgorithm> algorithms, int maxRequestLength, int cookiesPerResponse, string? ntpServer, int? ntpPort)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        if (algorithms.Count == 0) throw new ArgumentException("At least one AEAD algorithm.", nameof(algorithms));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequestLength, MinRequestLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRequestLength, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(cookiesPerResponse);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cookiesPerResponse, MaxCookiesPerResponse);
        if (ntpPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(ntpPort), ntpPort, "1 to 65535.");
        if (ntpServer is not null && (ntpServer.Length is 0 or > 255 || !Ascii.IsValid(ntpServer) || ntpServer.Any(c => c is < '!' or > '~')))
            throw new ArgumentException("The NTP server name is 1 to 255 printable ASCII characters.", nameof(ntpServer));

        _algorithmIds = new ushort[algorithms.Count];
        for (int i = 0; i < _algorithmIds.Length; i++)
        {
            if (!Aead.IsSupported((ushort)algorithms[i])) throw new ArgumentException($"Unsupported AEAD algorithm {algorithms[i]}.", nameof(algorithms));
            _algorithmIds[i] = (ushort)algorithms[i];
        }

        _ntpServerAscii = ntpServer is null ? [] : Encoding.ASCII.GetBytes(ntpServer);
        MaxRequestLength = maxRequestLength;
        CookiesPerResponse = cookiesPerResponse;
        NtpPort = ntpPort;
        // Next Protocol, AEAD, NTP server, NTP port, the cookies at their longest, End of Message.
        MaxResponseLength = 3 * NtsKeRecord.HeaderLength + 2 + 2 + 2 + (NtsKeRecord.HeaderLength + _ntpServerAscii.Length) +
            cookiesPerResponse * (NtsKeRecord.HeaderLength + NtsCookieCodec.MaxCookieLength) + NtsKeRecord.HeaderLength;
    }

    public int MaxRequestLength { get; }

    public int CookiesPerResponse { get; }

    public int? NtpPort { get; }

    /// <summary>The longest response a session writes: the size of the buffer to give it.</summary>
    public int MaxResponseLength { get; }

    internal ReadOnlySpan<ushort> AlgorithmIds => _algorithmIds;

    internal ReadOnlySpan<byte> NtpServerAscii => _ntpServerAscii;
}

/// <summary>
/// The server side of one NTS-KE exchange (RFC 8915 section 4) as a pure state machine: it is handed the
/// octets received so far and answers "read more" or the response to send before closing. Keys come from an
/// injected exporter and cookies from a codec the caller lends it, so it runs without TLS in tests.
/// One request per connection: after a final step the session is done.
/// </summary>
public sealed class NtsKeServerSession(NtsKeServerPolicy policy)
{
    private readonly NtsKeServerPolicy _policy = policy ?? throw new ArgumentNullException(nameof(policy));

    public NtsKeServerOutcome Outcome { get; private set; }

    /// <summary>Examines everything received so far (from the first octet); writes the response once the request is complete or refused.</summary>
    /// <param name="response">At least <see cref="NtsKeServerPolicy.MaxResponseLength"/> octets.</param>
    public NtsKeServerStep Receive(ReadOnlySpan<byte> received, INtsKeyExporter exporter, NtsCookieCodec cookies, Span<byte> response)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        ArgumentNullException.ThrowIfNull(cookies);
        ThrowIfFinished();
        if (response.Length < _policy.MaxResponseLength) throw new ArgumentException("The response buffer is too small.", nameof(response));

        if (NtsKeMessage.Scan(received, out int length) == NtsKeMessageStatus.Incomplete)
        {
            return received.Length > _policy.MaxRequestLength
                ? Refuse(NtsKeServerOutcome.Oversize, NtsKeErrorCode.BadRequest, response)
                : new NtsKeServerStep(NtsKeServerOutcome.Pending, 0, 0);
        }

        if (length > _policy.MaxRequestLength) return Refuse(NtsKeServerOutcome.Oversize, NtsKeErrorCode.BadRequest, response);
        // One request per connection: anything after End of Message is a protocol violation.
        if (length != received.Length) return Refuse(NtsKeServerOutcome.BadRequest, NtsKeErrorCode.BadRequest, response);

        var decision = NtsKeRequest.Parse(received, _policy.AlgorithmIds);
        return decision.Outcome switch
        {
            NtsKeOutcome.Error => Refuse(
                decision.Error == NtsKeErrorCode.UnrecognizedCriticalRecord ? NtsKeServerOutcome.UnrecognizedCriticalRecord : NtsKeServerOutcome.BadRequest,
                decision.Error, response),
            NtsKeOutcome.NoCommonProtocol => Finish(NtsKeServerOutcome.NoCommonProtocol, NtsKeServerMessages.WriteRefusal(response, decision.Outcome), 0),
            NtsKeOutcome.NoCommonAlgorithm => Finish(NtsKeServerOutcome.NoCommonAlgorithm, NtsKeServerMessages.WriteRefusal(response, decision.Outcome), 0),
            _ => Accept((AeadAlgorithm)decision.Algorithm, exporter, cookies, response),
        };
    }

    /// <summary>The client closed its side before End of Message.</summary>
    public NtsKeServerStep EndOfStream()
    {
        ThrowIfFinished();
        return Finish(NtsKeServerOutcome.Incomplete, 0, 0);
    }

    /// <summary>The request's deadline passed.</summary>
    public NtsKeServerStep TimedOut()
    {
        ThrowIfFinished();
        return Finish(NtsKeServerOutcome.TimedOut, 0, 0);
    }

    private NtsKeServerStep Accept(AeadAlgorithm algorithm, INtsKeyExporter exporter, NtsCookieCodec cookies, Span<byte> response)
    {
        int keyLength = Aead.KeyLength(algorithm);
        Span<byte> c2s = stackalloc byte[keyLength];
        Span<byte> s2c = stackalloc byte[keyLength];
        try
        {
            if (!NtsKeMessage.TryExportKeys(exporter, algorithm, c2s, s2c))
                return Refuse(NtsKeServerOutcome.InternalError, NtsKeErrorCode.InternalServerError, response);

            var writer = new NtsKeRecordWriter(response);
            bool ok = NtsKeServerMessages.TryWriteAcceptHead(ref writer, (ushort)algorithm, _policy.NtpServerAscii, _policy.NtpPort ?? -1);
            Span<byte> cookie = stackalloc byte[NtsCookieCodec.MaxCookieLength];
            int issued = 0;
            for (; ok && issued < _policy.CookiesPerResponse; issued++)
            {
                int cookieLength = cookies.Seal(algorithm, c2s, s2c, cookie);
                ok = writer.TryWrite(NtsKeRecordType.NewCookie, critical: false, cookie[..cookieLength]);
            }

            return ok && writer.TryWriteEndOfMessage()
                ? Finish(NtsKeServerOutcome.KeysIssued, writer.Written, issued)
                : Refuse(NtsKeServerOutcome.InternalError, NtsKeErrorCode.InternalServerError, response);
        }
        finally
        {
            c2s.Clear();
            s2c.Clear();
        }
    }

    private NtsKeServerStep Refuse(NtsKeServerOutcome outcome, NtsKeErrorCode code, Span<byte> response) =>
        Finish(outcome, NtsKeServerMessages.WriteError(response, code), 0);

    private NtsKeServerStep Finish(NtsKeServerOutcome outcome, int responseLength, int cookies)
    {
        Outcome = outcome;
        return new NtsKeServerStep(outcome, responseLength, cookies);
    }

    private void ThrowIfFinished()
    {
        if (Outcome != NtsKeServerOutcome.Pending) throw new InvalidOperationException("The NTS-KE exchange is over.");
    }
}
