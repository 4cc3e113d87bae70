using FastNtp.Crypto;

namespace FastNtp.Protocol.Tests.Nts;

/// <summary>The NTS-KE state machines driven with records only: no TLS, no sockets.</summary>
public sealed class NtsKeSessionTests : IDisposable
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly AeadAlgorithm[] ServerAlgorithms = [AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv];

    private readonly CookieKeyStore _store = new(CookieKeySet.Derive(Secret, 1000, 7));
    private readonly NtsCookieCodec _codec;
    private readonly FakeExporter _exporter = new(Secret);
    private readonly NtsKeServerPolicy _policy = new(ServerAlgorithms, maxRequestLength: 256, cookiesPerResponse: 8, ntpServer: null, ntpPort: null);

    public NtsKeSessionTests()
    {
        _codec = new NtsCookieCodec(_store, new RandomPool());
    }

    public void Dispose() => _codec.Dispose();

    private static byte[] Records(params (NtsKeRecordType Type, bool Critical, byte[] Body)[] records)
    {
        byte[] buffer = new byte[4096];
        var writer = new NtsKeRecordWriter(buffer);
        foreach ((NtsKeRecordType type, bool critical, byte[] body) in records) Assert.True(writer.TryWrite(type, critical, body));
        return buffer[..writer.Written];
    }

    private static byte[] U16(params ushort[] values)
    {
        byte[] body = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * i), values[i]);
        return body;
    }

    private static (NtsKeRecordType, bool, byte[]) Eom => (NtsKeRecordType.EndOfMessage, true, []);
    private static (NtsKeRecordType, bool, byte[]) Ntpv4 => (NtsKeRecordType.NextProtocol, true, U16(0));
    private static (NtsKeRecordType, bool, byte[]) Aead(params ushort[] ids) => (NtsKeRecordType.AeadAlgorithm, true, U16(ids));

    private (NtsKeServerStep Step, NtsKeResponse Response) Serve(byte[] request, NtsKeServerPolicy? policy = null, INtsKeyExporter? exporter = null)
    {
        policy ??= _policy;
        var session = new NtsKeServerSession(policy);
        byte[] response = new byte[policy.MaxResponseLength];
        NtsKeServerStep step = session.Receive(request, exporter ?? _exporter, _codec, response);
        Assert.True(step.IsFinal);
        Assert.Equal(step.Outcome, session.Outcome);
        return (step, NtsKeResponse.Parse(response.AsSpan(0, step.ResponseLength), [15, 30, 99]));
    }

    [Fact]
    public void GoodRequest_GetsKeysAndCookiesTheClientSessionAgreesWith()
    {
        var client = new NtsKeClientSession([AeadAlgorithm.Aes128GcmSiv, AeadAlgorithm.AesSivCmac256]);
        var server = new NtsKeServerSession(_policy);
        byte[] response = new byte[_policy.MaxResponseLength];
        NtsKeServerStep step = server.Receive(client.Request.Span, _exporter, _codec, response);
        Assert.Equal(new NtsKeServerStep(NtsKeServerOutcome.KeysIssued, step.ResponseLength, 8), step);

        Assert.Equal(NtsKeClientOutcome.Agreed, client.Receive(response.AsSpan(0, step.ResponseLength), _exporter));
        NtsKeAgreement agreement = client.Agreement!;
        Assert.Equal(AeadAlgorithm.Aes128GcmSiv, agreement.Algorithm);
        Assert.Equal(8, agreement.Cookies.Count);
        Assert.Null(agreement.NtpServer);
        Assert.Null(agreement.NtpPort);
        Assert.NotEqual(agreement.C2SKey, agreement.S2CKey);

        // Every cookie carries exactly the keys both sides exported.
        Span<byte> keys = stackalloc byte[128];
        foreach (byte[] cookie in agreement.Cookies)
        {
            Assert.Equal(CookieOpenResult.Ok, _codec.Open(cookie, out AeadAlgorithm algorithm, keys, out int keyLength));
            Assert.Equal(AeadAlgorithm.Aes128GcmSiv, algorithm);
            Assert.Equal(agreement.C2SKey, keys[..keyLength].ToArray());
            Assert.Equal(agreement.S2CKey, keys.Slice(keyLength, keyLength).ToArray());
        }
    }

    [Fact]
    public void NtpServerAndPort_AreAnnounced()
    {
        var policy = new NtsKeServerPolicy(ServerAlgorithms, 256, 2, "ntp.example", 1123);
        (NtsKeServerStep step, NtsKeResponse response) = Serve(Records(Ntpv4, Aead(15), Eom), policy);
        Assert.Equal(NtsKeServerOutcome.KeysIssued, step.Outcome);
        Assert.Equal(2, step.CookiesIssued);
        Assert.Equal("ntp.example", response.NtpServer);
        Assert.Equal((ushort)1123, response.NtpPort);
    }

    [Fact]
    public void RequestArrivingInPieces_IsPendingUntilEndOfMessage()
    {
        byte[] request = Records(Ntpv4, Aead(15), Eom);
        var session = new NtsKeServerSession(_policy);
        byte[] response = new byte[_policy.MaxResponseLength];
        for (int cut = 0; cut < request.Length; cut++)
        {
            Assert.Equal(new NtsKeServerStep(NtsKeServerOutcome.Pending, 0, 0), session.Receive(request.AsSpan(0, cut), _exporter, _codec, response));
        }

        Assert.Equal(0, _exporter.Calls);
        Assert.Equal(NtsKeServerOutcome.KeysIssued, session.Receive(request, _exporter, _codec, response).Outcome);
        Assert.Equal(2, _exporter.Calls);
        // One request per connection.
        Assert.Throws<InvalidOperationException>(() => session.Receive(request, _exporter, _codec, response));
    }

    [Fact]
    public void ErrorPaths_AnswerWithTheRfcRecordAndExportNoKeys()
    {
        // Bad request: no AEAD record for NTPv4, a duplicate protocol record, a client Error record.
        AssertError(Records(Ntpv4, Eom), NtsKeServerOutcome.BadRequest, NtsKeErrorCode.BadRequest);
        AssertError(Records(Ntpv4, Ntpv4, Aead(15), Eom), NtsKeServerOutcome.BadRequest, NtsKeErrorCode.BadRequest);
        AssertError(Records(Ntpv4, (NtsKeRecordType.Error, true, U16(1)), Aead(15), Eom), NtsKeServerOutcome.BadRequest, NtsKeErrorCode.BadRequest);
        // Data after End of Message.
        AssertError([.. Records(Ntpv4, Aead(15), Eom), 0, 0], NtsKeServerOutcome.BadRequest, NtsKeErrorCode.BadRequest);
        // An unknown record with the critical bit set; without it the record is ignored.
        AssertError(Records(Ntpv4, ((NtsKeRecordType)0x4001, true, []), Aead(15), Eom), NtsKeServerOutcome.UnrecognizedCriticalRecord,
            NtsKeErrorCode.UnrecognizedCriticalRecord);
        // Oversize: a record promising more than the limit, and a complete message over the limit.
        byte[] promise = new byte[4 + 300];
        BinaryPrimitives.WriteUInt16BigEndian(promise, 0x55);
        BinaryPrimitives.WriteUInt16BigEndian(promise.AsSpan(2), 600);
        AssertError(promise, NtsKeServerOutcome.Oversize, NtsKeErrorCode.BadRequest);
        AssertError(Records(Ntpv4, ((NtsKeRecordType)0x55, false, new byte[300]), Aead(15), Eom), NtsKeServerOutcome.Oversize, NtsKeErrorCode.BadRequest);
        Assert.Equal(0, _exporter.Calls);
        Assert.Equal(NtsKeServerOutcome.KeysIssued, Serve(Records(Ntpv4, ((NtsKeRecordType)0x4001, false, [1, 2]), Aead(15), Eom)).Step.Outcome);
    }

    private void AssertError(byte[] request, NtsKeServerOutcome outcome, NtsKeErrorCode code)
    {
        (NtsKeServerStep step, NtsKeResponse response) = Serve(request);
        Assert.Equal(outcome, step.Outcome);
        Assert.Equal(0, step.CookiesIssued);
        Assert.Equal(NtsKeResponseError.ServerError, response.Error);
        Assert.Equal((ushort)code, response.ServerError);
    }

    [Fact]
    public void NoCommonAlgorithmOrProtocol_IsRefusedWithEmptyRecords()
    {
        (NtsKeServerStep step, NtsKeResponse response) = Serve(Records(Ntpv4, Aead(99), Eom));
        Assert.Equal(NtsKeServerOutcome.NoCommonAlgorithm, step.Outcome);
        Assert.Equal(NtsKeResponseError.NoCommonAlgorithm, response.Error);
        (step, response) = Serve(Records((NtsKeRecordType.NextProtocol, true, U16(7)), Aead(15), Eom));
        Assert.Equal(NtsKeServerOutcome.NoCommonProtocol, step.Outcome);
        Assert.Equal(NtsKeResponseError.NoCommonProtocol, response.Error);
        Assert.Equal(0, _exporter.Calls);
    }

    [Fact]
    public void FailedKeyExport_IsAnInternalError()
    {
        (NtsKeServerStep step, NtsKeResponse response) = Serve(Records(Ntpv4, Aead(15), Eom), exporter: new FakeExporter(Secret, works: false));
        Assert.Equal(NtsKeServerOutcome.InternalError, step.Outcome);
        Assert.Equal((ushort)NtsKeErrorCode.InternalServerError, response.ServerError);
    }

    [Fact]
    public void MissingEndOfMessageAndTimeout_EndTheExchangeWithoutAnAnswer()
    {
        var session = new NtsKeServerSession(_policy);
        byte[] response = new byte[_policy.MaxResponseLength];
        Assert.False(session.Receive(Records(Ntpv4, Aead(15)), _exporter, _codec, response).IsFinal);
        Assert.Equal(new NtsKeServerStep(NtsKeServerOutcome.Incomplete, 0, 0), session.EndOfStream());

        var slow = new NtsKeServerSession(_policy);
        Assert.Equal(new NtsKeServerStep(NtsKeServerOutcome.TimedOut, 0, 0), slow.TimedOut());
        Assert.Throws<InvalidOperationException>(() => slow.EndOfStream());
    }

    [Fact]
    public void Policy_RejectsImpossibleSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NtsKeServerPolicy(ServerAlgorithms, 10, 8, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NtsKeServerPolicy(ServerAlgorithms, 256, 9, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NtsKeServerPolicy(ServerAlgorithms, 256, 8, null, 0));
        Assert.Throws<ArgumentException>(() => new NtsKeServerPolicy(ServerAlgorithms, 256, 8, "bad name", null));
        Assert.Throws<ArgumentException>(() => new NtsKeServerPolicy([], 256, 8, null, null));
    }

    [Fact]
    public void ClientSession_RefusesBadResponsesAndNeverThrowsOnThem()
    {
        static NtsKeClientSession Client() => new([AeadAlgorithm.AesSivCmac256]);

        NtsKeClientSession refused = Client();
        Assert.Equal(NtsKeClientOutcome.Refused, refused.Receive(Records((NtsKeRecordType.Error, true, U16(1)), Eom), _exporter));
        Assert.Equal(NtsKeResponseError.ServerError, refused.Response!.Error);

        NtsKeClientSession noCookies = Client();
        Assert.Equal(NtsKeClientOutcome.Refused, noCookies.Receive(Records(Ntpv4, Aead(15), Eom), _exporter));
        Assert.Equal(NtsKeResponseError.NoCookies, noCookies.Response!.Error);

        NtsKeClientSession pending = Client();
        Assert.Equal(NtsKeClientOutcome.Pending, pending.Receive(Records(Ntpv4, Aead(15)), _exporter));
        Assert.Equal(NtsKeClientOutcome.Incomplete, pending.EndOfStream());

        // A record that never ends, longer than any response.
        NtsKeClientSession flood = Client();
        byte[] endless = new byte[NtsKeClientSession.MaxResponseLength + 1];
        BinaryPrimitives.WriteUInt16BigEndian(endless, 0x55);
        BinaryPrimitives.WriteUInt16BigEndian(endless.AsSpan(2), ushort.MaxValue);
        Assert.Equal(NtsKeClientOutcome.TooLong, flood.Receive(endless, _exporter));

        NtsKeClientSession noExport = Client();
        byte[] good = Records(Ntpv4, Aead(15), (NtsKeRecordType.NewCookie, false, new byte[100]), Eom);
        Assert.Equal(NtsKeClientOutcome.KeyExportFailed, noExport.Receive(good, new FakeExporter(Secret, works: false)));
        Assert.Null(noExport.Agreement);

        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            byte[] noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            NtsKeClientSession client = Client();
            client.Receive(noise, _exporter);
            var server = new NtsKeServerSession(_policy);
            server.Receive(noise, _exporter, _codec, new byte[_policy.MaxResponseLength]);
        }
    }
}
