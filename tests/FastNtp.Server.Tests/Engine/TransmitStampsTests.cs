using FastNtp.Interop.Sockets;

namespace FastNtp.Server.Tests.Engine;

/// <summary>Matching kernel transmit stamps to replies by their OPT_ID key, without a socket's help.</summary>
public sealed class TransmitStampsTests : IDisposable
{
    private static readonly ClientAddress Alice = ClientAddress.FromIPv4(0xC000_0201);
    private static readonly NtpTimestamp Receive = NtpTimestamp.FromParts(0xEA04_E300, 0x1000_0001);
    private static readonly NtpTimestamp Written = NtpTimestamp.FromParts(0xEA04_E300, 0x1001_0000);
    private static readonly ServerSnapshot Snapshot = ServerSnapshot.LocalClock(1, -20, Written);

    private readonly UdpBatchSocket _socket = UdpBatchSocket.Create(AddressFamily.InterNetwork);
    private readonly ClientTable _table;
    private readonly TransmitStamps _stamps;
    private readonly int _alice;

    public TransmitStampsTests()
    {
        var policy = new ClientPolicy(new ClientPolicyOptions { Interleaved = true }, AccessList.AllowAll, seed: 7);
        _table = policy.Table!;
        _stamps = new TransmitStamps(_socket, _table, new WorkerCounters());
        policy.Decide(Alice, nts: false, 1, out _alice);
    }

    public void Dispose()
    {
        _stamps.Dispose();
        _socket.Dispose();
    }

    private void SendAlicesReply(NtpTimestamp receive)
    {
        _table.RecordReply(_alice, Alice, receive, Written);
        _stamps.Sent(_alice, Alice, receive, Written);
    }

    private static NtpTimestamp After(long microseconds) => Written + NtpDuration.FromNanoseconds(microseconds * 1000);

    [Fact]
    public void StampWithTheReplysKey_BecomesItsTransmitTime()
    {
        _stamps.SentUntracked(); // a kiss took key 0
        SendAlicesReply(Receive); // key 1

        Assert.False(_stamps.Apply(0, After(5), Snapshot));
        Assert.True(_stamps.Apply(1, After(20), Snapshot));

        Assert.Equal(new PreviousReply(Receive, After(20)), _table.PreviousReply(_alice));
        // A key is used once.
        Assert.False(_stamps.Apply(1, After(30), Snapshot));
    }

    [Fact]
    public void LostStamp_LeavesTheWrittenTimeAndTheNextReplyStillGetsItsOwn()
    {
        SendAlicesReply(Receive); // key 0: its stamp never comes (error queue full)
        NtpTimestamp second = Receive + NtpDuration.FromMilliseconds(1);
        SendAlicesReply(second); // key 1

        Assert.Equal(new PreviousReply(second, Written), _table.PreviousReply(_alice));
        Assert.True(_stamps.Apply(1, After(40), Snapshot));
        Assert.Equal(new PreviousReply(second, After(40)), _table.PreviousReply(_alice));
    }

    [Fact]
    public void StampForAnOverwrittenRingSlot_IsIgnored()
    {
        SendAlicesReply(Receive); // key 0
        for (int i = 0; i < TransmitStamps.RingSize; i++) _stamps.SentUntracked();

        Assert.False(_stamps.Apply(0, After(10), Snapshot));
        Assert.False(_stamps.Apply(TransmitStamps.RingSize, After(10), Snapshot));
        Assert.Equal(new PreviousReply(Receive, Written), _table.PreviousReply(_alice));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public void StampOutsideTheSecondAfterTheWrittenTime_IsIgnored(long microseconds)
    {
        SendAlicesReply(Receive);

        Assert.False(_stamps.Apply(0, After(microseconds), Snapshot));
        Assert.Equal(new PreviousReply(Receive, Written), _table.PreviousReply(_alice));
    }

    [Fact]
    public void RestartAfterARefusedDatagram_StartsTheKeysAgainAndForgetsPendingReplies()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.EnableTransmitTimestamps();
        SendAlicesReply(Receive); // key 0
        _stamps.SentUntracked(); // key 1

        _stamps.Restart(Snapshot);

        Assert.Equal(0u, _stamps.NextKey);
        Assert.False(_stamps.Apply(0, After(10), Snapshot));
        SendAlicesReply(Receive + NtpDuration.FromMilliseconds(1));
        Assert.True(_stamps.Apply(0, After(1010), Snapshot));
    }
}
