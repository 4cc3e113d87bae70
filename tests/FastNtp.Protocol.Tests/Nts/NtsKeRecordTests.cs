namespace FastNtp.Protocol.Tests.Nts;

public class NtsKeRecordTests
{
    private static readonly ushort[] Supported = [15, 30, 16, 17];

    private static byte[] Records(params (ushort Type, bool Critical, byte[] Body)[] records)
    {
        byte[] buffer = new byte[4096];
        var writer = new NtsKeRecordWriter(buffer);
        foreach ((ushort type, bool critical, byte[] body) in records) Assert.True(writer.TryWrite((NtsKeRecordType)type, critical, body));
        return buffer[..writer.Written];
    }

    private static byte[] U16(params ushort[] values)
    {
        byte[] body = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * i), values[i]);
        return body;
    }

    private static (ushort, bool, byte[]) Eom => (0, true, []);
    private static (ushort, bool, byte[]) Ntpv4 => (1, true, U16(0));

    [Fact]
    public void Records_RoundTripWithCriticalBit()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ushort>(), ArbMap.Default.ArbFor<bool>(), ArbMap.Default.ArbFor<byte[]>(), (type, critical, body) =>
        {
            type &= 0x7FFF;
            byte[] message = Records((type, critical, body));
            var reader = new NtsKeRecordReader(message);
            Assert.True(reader.MoveNext());
            Assert.Equal((NtsKeRecordType)type, reader.Current.Type);
            Assert.Equal(critical, reader.Current.Critical);
            Assert.Equal(body, reader.Current.Body.ToArray());
            Assert.False(reader.MoveNext());
            Assert.False(reader.Truncated);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TruncatedRecord_IsReportedNotThrown()
    {
        byte[] message = Records(Ntpv4, (4, true, U16(15)), Eom);
        for (int cut = 1; cut < message.Length; cut++)
        {
            Assert.Equal(NtsKeMessageStatus.Incomplete, NtsKeMessage.Scan(message.AsSpan(0, cut), out _));
            var reader = new NtsKeRecordReader(message.AsSpan(0, cut));
            while (reader.MoveNext())
            {
            }

            Assert.Equal(cut is not 6 and not 12, reader.Truncated);
        }

        Assert.Equal(NtsKeMessageStatus.Complete, NtsKeMessage.Scan(message, out int length));
        Assert.Equal(message.Length, length);
    }

    [Fact]
    public void Writer_RefusesWhatDoesNotFit()
    {
        var writer = new NtsKeRecordWriter(new byte[7]);
        Assert.False(writer.TryWrite(NtsKeRecordType.NewCookie, false, new byte[4]));
        Assert.Equal(0, writer.Written);
        Assert.False(writer.TryWrite((NtsKeRecordType)0x8000, true, []));
    }

    [Fact]
    public void Negotiation_AcceptsAndPicksClientPreferenceAmongSupported()
    {
        var r = NtsKeRequest.Parse(Records(Ntpv4, (4, true, U16(99, 30, 15)), Eom), Supported);
        Assert.Equal(NtsKeOutcome.Accept, r.Outcome);
        Assert.Equal(30, r.Algorithm);
        // Non-critical unknown records are ignored, server and port requests allowed.
        r = NtsKeRequest.Parse(Records((0x1234, false, [1, 2, 3]), Ntpv4, (4, false, U16(17)), (6, true, "x.example"u8.ToArray()), (7, true, U16(123)), Eom), Supported);
        Assert.Equal(NtsKeOutcome.Accept, r.Outcome);
        Assert.Equal(17, r.Algorithm);
    }

    public static TheoryData<string, byte[], NtsKeErrorCode> BadRequests => new()
    {
        { "no end of message", Records(Ntpv4, (4, true, U16(15))), NtsKeErrorCode.BadRequest },
        { "no next protocol", Records((4, true, U16(15)), Eom), NtsKeErrorCode.BadRequest },
        { "no aead with ntpv4", Records(Ntpv4, Eom), NtsKeErrorCode.BadRequest },
        { "two next protocol records", Records(Ntpv4, Ntpv4, (4, true, U16(15)), Eom), NtsKeErrorCode.BadRequest },
        { "two aead records", Records(Ntpv4, (4, true, U16(15)), (4, true, U16(15)), Eom), NtsKeErrorCode.BadRequest },
        { "odd aead body", Records(Ntpv4, (4, true, [0, 15, 1]), Eom), NtsKeErrorCode.BadRequest },
        { "odd protocol body", Records((1, true, [0]), (4, true, U16(15)), Eom), NtsKeErrorCode.BadRequest },
        { "non-critical next protocol", Records((1, false, U16(0)), (4, true, U16(15)), Eom), NtsKeErrorCode.BadRequest },
        { "error record from client", Records(Ntpv4, (4, true, U16(15)), (2, true, U16(1)), Eom), NtsKeErrorCode.BadRequest },
        { "warning record from client", Records(Ntpv4, (4, true, U16(15)), (3, true, U16(1)), Eom), NtsKeErrorCode.BadRequest },
        { "port record of 3 octets", Records(Ntpv4, (4, true, U16(15)), (7, true, [0, 1, 2]), Eom), NtsKeErrorCode.BadRequest },
        { "end of message with body", Records(Ntpv4, (4, true, U16(15)), (0, true, [0])), NtsKeErrorCode.BadRequest },
        { "records after end of message", Records(Ntpv4, (4, true, U16(15)), Eom, Ntpv4), NtsKeErrorCode.BadRequest },
        { "unknown critical record", Records(Ntpv4, (4, true, U16(15)), (0x4321, true, []), Eom), NtsKeErrorCode.UnrecognizedCriticalRecord },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void MalformedRequests_GetTheRfcError(string why, byte[] message, NtsKeErrorCode expected)
    {
        var r = NtsKeRequest.Parse(message, Supported);
        Assert.True(r.Outcome == NtsKeOutcome.Error, why);
        Assert.Equal(expected, r.Error);
    }

    [Fact]
    public void NoOverlap_GivesEmptyRecords()
    {
        Assert.Equal(NtsKeOutcome.NoCommonAlgorithm, NtsKeRequest.Parse(Records(Ntpv4, (4, true, U16(1, 2)), Eom), Supported).Outcome);
        Assert.Equal(NtsKeOutcome.NoCommonProtocol, NtsKeRequest.Parse(Records((1, true, U16(7)), (4, true, U16(15)), Eom), Supported).Outcome);

        byte[] buffer = new byte[64];
        int length = NtsKeServerMessages.WriteRefusal(buffer, NtsKeOutcome.NoCommonAlgorithm);
        var parsed = NtsKeResponse.Parse(buffer.AsSpan(0, length), [15]);
        Assert.Equal(NtsKeResponseError.NoCommonAlgorithm, parsed.Error);
        length = NtsKeServerMessages.WriteRefusal(buffer, NtsKeOutcome.NoCommonProtocol);
        Assert.Equal(NtsKeResponseError.NoCommonProtocol, NtsKeResponse.Parse(buffer.AsSpan(0, length), [15]).Error);
        length = NtsKeServerMessages.WriteError(buffer, NtsKeErrorCode.BadRequest);
        var error = NtsKeResponse.Parse(buffer.AsSpan(0, length), [15]);
        Assert.Equal(NtsKeResponseError.ServerError, error.Error);
        Assert.Equal((ushort)NtsKeErrorCode.BadRequest, error.ServerError);
    }

    [Fact]
    public void ClientRequest_ParsesOnTheServerAndAcceptResponseOnTheClient()
    {
        byte[] request = NtsKeResponse.BuildRequest([30, 15]);
        Assert.Equal(NtsKeOutcome.Accept, NtsKeRequest.Parse(request, Supported).Outcome);

        byte[] buffer = new byte[512];
        var writer = new NtsKeRecordWriter(buffer);
        Assert.True(NtsKeServerMessages.TryWriteAcceptHead(ref writer, 30, "ntp.example"u8, 1123));
        Assert.True(writer.TryWrite(NtsKeRecordType.NewCookie, false, [1, 2, 3, 4]));
        Assert.True(writer.TryWrite(NtsKeRecordType.NewCookie, false, [5, 6, 7, 8]));
        Assert.True(writer.TryWriteEndOfMessage());
        var response = NtsKeResponse.Parse(writer.WrittenSpan, [30, 15]);
        Assert.Equal(NtsKeResponseError.None, response.Error);
        Assert.Equal(30, response.Algorithm);
        Assert.Equal("ntp.example", response.NtpServer);
        Assert.Equal((ushort)1123, response.NtpPort);
        Assert.Equal(2, response.Cookies.Count);
    }

    [Fact]
    public void Client_RejectsBadResponses()
    {
        ushort[] offered = [15];
        Assert.Equal(NtsKeResponseError.Malformed, NtsKeResponse.Parse(Records(Ntpv4, (4, true, U16(30)), (5, false, [1]), Eom), offered).Error);
        Assert.Equal(NtsKeResponseError.NoCookies, NtsKeResponse.Parse(Records(Ntpv4, (4, true, U16(15)), Eom), offered).Error);
        Assert.Equal(NtsKeResponseError.Malformed, NtsKeResponse.Parse(Records(Ntpv4, (4, true, U16(15)), (5, false, [1])), offered).Error);
        Assert.Equal(NtsKeResponseError.UnrecognizedCriticalRecord, NtsKeResponse.Parse(Records(Ntpv4, (4, true, U16(15)), (5, false, [1]), (99, true, []), Eom), offered).Error);
        Assert.Equal(NtsKeResponseError.ServerWarning, NtsKeResponse.Parse(Records((3, true, U16(5)), Eom), offered).Error);
    }

    [Fact]
    public void Parsers_NeverThrowOnArbitraryBytes()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            NtsKeRequest.Parse(bytes, Supported);
            NtsKeResponse.Parse(bytes, Supported);
            NtsKeMessage.Scan(bytes, out _);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ExporterContext_FollowsRfc8915()
    {
        Span<byte> context = stackalloc byte[5];
        NtsKeMessage.WriteExporterContext(context, 15, serverToClient: true);
        Assert.Equal(new byte[] { 0, 0, 0, 15, 1 }, context.ToArray());
        NtsKeMessage.WriteExporterContext(context, 30, serverToClient: false);
        Assert.Equal(new byte[] { 0, 0, 0, 30, 0 }, context.ToArray());
    }
}
