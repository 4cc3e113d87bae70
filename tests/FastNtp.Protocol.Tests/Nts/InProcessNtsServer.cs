namespace FastNtp.Protocol.Tests.Nts;

/// <summary>One worker's NTS server side in process: cookie keys, the NTS responder over them, the responder using it.</summary>
internal sealed class InProcessNtsServer : IDisposable
{
    /// <summary>The cookie root secret the tests share: octets 1 to 32.</summary>
    public static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

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

    public void Dispose() => Nts.Dispose();
}
