using System.Net;

namespace FastNtp.Protocol.Tests.Policy;

/// <summary>The reply times a client table keeps for interleaved mode.</summary>
public class ClientTableReplyTimesTests
{
    private const long Second = 1_000_000_000;

    private static readonly ClientAddress Alice = Address("192.0.2.1");
    private static readonly ClientAddress Bob = Address("192.0.2.2");
    private static readonly NtpTimestamp Receive = NtpTimestamp.FromParts(0xEA04_E300, 0x1000_0001);
    private static readonly NtpTimestamp Written = NtpTimestamp.FromParts(0xEA04_E300, 0x1001_0000);
    private static readonly NtpTimestamp Kernel = NtpTimestamp.FromParts(0xEA04_E300, 0x1001_4000);

    private static ClientAddress Address(string text) => ClientAddress.FromIPAddress(IPAddress.Parse(text));

    private static ClientTable Table(int entries = 64) => new(entries, 2 * Second, 4, 64, seed: 12345, keepReplyTimes: true);

    private static int Index(ClientTable table, in ClientAddress client, long now = Second)
    {
        table.Take(client, nts: false, now, out _, out int index);
        return index;
    }

    [Fact]
    public void RecordedReply_IsReadBackAndItsTransmitTimeReplacedByTheKernelStamp()
    {
        ClientTable table = Table();
        int alice = Index(table, Alice);
        Assert.Equal(default, table.PreviousReply(alice));

        table.RecordReply(alice, Alice, Receive, Written);
        Assert.Equal(new PreviousReply(Receive, Written), table.PreviousReply(alice));

        Assert.True(table.UpdateTransmit(alice, Alice, Receive, Kernel));
        Assert.Equal(new PreviousReply(Receive, Kernel), table.PreviousReply(Index(table, Alice)));
    }

    [Fact]
    public void KernelStampOfAnOlderReply_IsIgnored()
    {
        ClientTable table = Table();
        int alice = Index(table, Alice);
        table.RecordReply(alice, Alice, Receive, Written);
        var newer = new PreviousReply(Receive + NtpDuration.FromMilliseconds(1), Written + NtpDuration.FromMilliseconds(1));
        table.RecordReply(alice, Alice, newer.Receive, newer.Transmit);

        Assert.False(table.UpdateTransmit(alice, Alice, Receive, Kernel));
        Assert.Equal(newer, table.PreviousReply(alice));
    }

    [Fact]
    public void ForgottenTransmit_IsNotBroughtBackByALateStamp()
    {
        ClientTable table = Table();
        int alice = Index(table, Alice);
        table.RecordReply(alice, Alice, Receive, Written);

        table.ForgetTransmit(alice);

        Assert.Equal(new PreviousReply(Receive, NtpTimestamp.Zero), table.PreviousReply(alice));
        Assert.False(table.UpdateTransmit(alice, Alice, Receive, Kernel));
    }

    [Fact]
    public void EntryGivenToAnotherClient_StartsEmptyAndIgnoresTheOldClientsRecords()
    {
        // One set of eight entries: the ninth client evicts the one seen longest ago, Alice.
        ClientTable table = Table(entries: ClientTable.Ways);
        int alice = Index(table, Alice, now: Second);
        table.RecordReply(alice, Alice, Receive, Written);
        for (int i = 0; i < ClientTable.Ways - 1; i++) Index(table, Address($"198.51.100.{i + 1}"), now: 2 * Second);

        int bob = Index(table, Bob, now: 3 * Second);

        Assert.Equal(alice, bob);
        Assert.Equal(default, table.PreviousReply(bob));
        table.RecordReply(alice, Alice, Receive, Written);
        Assert.False(table.UpdateTransmit(alice, Alice, Receive, Kernel));
        Assert.Equal(default, table.PreviousReply(bob));
    }

    [Fact]
    public void OtherClientsRecords_NeverReachAnEntry()
    {
        ClientTable table = Table();
        int alice = Index(table, Alice);
        table.RecordReply(alice, Alice, Receive, Written);

        table.RecordReply(alice, Bob, Receive + NtpDuration.FromSeconds(1), Kernel);
        Assert.False(table.UpdateTransmit(alice, Bob, Receive, Kernel));
        table.RecordReply(-1, Alice, Receive, Kernel);
        table.RecordReply(table.Capacity, Alice, Receive, Kernel);

        Assert.Equal(new PreviousReply(Receive, Written), table.PreviousReply(alice));
    }

    [Fact]
    public void TableWithoutReplyTimes_KeepsNone()
    {
        var table = new ClientTable(64, 2 * Second, 4, 64, seed: 1);
        int alice = Index(table, Alice);
        table.RecordReply(alice, Alice, Receive, Written);

        Assert.False(table.KeepsReplyTimes);
        Assert.Equal(default, table.PreviousReply(alice));
    }
}
