using FastNtp.Tests.Shared;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>
/// One worker's NTS server side in process: cookie keys, the NTS responder over them, the responder using it, and a
/// tally of the NTS outcomes it reports.
/// </summary>
internal sealed class InProcessNtsServer : IDisposable
{
    /// <summary>The cookie root secret the tests share: octets 1 to 32.</summary>
    public static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    /// <summary>When every request arrives; the server's local clock was last set then too.</summary>
    public static readonly NtpTimestamp ReceiveTime = NtpTimestamp.FromParts(3_900_000_000, 0x8000_0000);
    public static readonly ServerSnapshot Snapshot = ServerSnapshot.LocalClock(1, -20, ReceiveTime);

    public InProcessNtsServer()
        : this(CookieKeySet.Derive(Secret, 1000, 7))
    {
    }

    public InProcessNtsServer(CookieKeySet keys)
    {
        Store = new CookieKeyStore(keys);
        Nts = new NtsResponder(Store);
        Responder = new Responder(Nts);
    }

    public CookieKeyStore Store { get; }

    public NtsResponder Nts { get; }

    public Responder Responder { get; }

    public NtsTally Tally { get; } = new();

    /// <summary>Answers a request that arrived at <see cref="ReceiveTime"/> from port 40000, a millisecond later, and tallies it.</summary>
    public ResponderResult Handle(ReadOnlySpan<byte> request, Span<byte> response)
    {
        var clock = new FixedClock(ReceiveTime + NtpDuration.FromMilliseconds(1));
        return Tally.Count(Responder.Handle(request, new RequestInfo(ReceiveTime, 40000), Snapshot, response, ref clock));
    }

    public void Dispose() => Nts.Dispose();
}
