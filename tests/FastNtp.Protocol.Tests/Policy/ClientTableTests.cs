using System.Net;

namespace FastNtp.Protocol.Tests.Policy;

public class ClientTableTests
{
    private const long Second = 1_000_000_000;
    private const long Interval = 2 * Second;
    private const int Burst = 4;
    private const long Start = 1_000 * Second;

    private static readonly ClientAddress Alice = Address("192.0.2.1");
    private static readonly ClientAddress Bob = Address("192.0.2.2");

    private static ClientAddress Address(string text) => ClientAddress.FromIPAddress(IPAddress.Parse(text));

    private static ClientTable Table(int entries = 64, int burst = Burst, int ipv6Prefix = 64) =>
        new(entries, Interval, burst, ipv6Prefix, seed: 12345);

    private static bool Take(ClientTable table, in ClientAddress client, long now)
    {
        table.Take(client, nts: false, now, out bool withinLimit, out _);
        return withinLimit;
    }

    /// <summary>How many of <paramref name="count"/> requests sent at the same instant get through.</summary>
    private static int Passed(ClientTable table, in ClientAddress client, long now, int count)
    {
        int passed = 0;
        for (int i = 0; i < count; i++)
        {
            if (Take(table, client, now)) passed++;
        }

        return passed;
    }

    [Fact]
    public void NewClient_GetsAFullBurstAtOnceAndNothingMore()
    {
        ClientTable table = Table();
        Assert.Equal(Burst, Passed(table, Alice, Start, 10));
    }

    [Fact]
    public void Clients_HaveSeparateBuckets()
    {
        ClientTable table = Table();
        Assert.Equal(Burst, Passed(table, Alice, Start, 10));
        Assert.Equal(Burst, Passed(table, Bob, Start, 10));
    }

    [Fact]
    public void Tokens_ComeBackOnePerInterval()
    {
        ClientTable table = Table();
        Passed(table, Alice, Start, Burst);
        Assert.False(Take(table, Alice, Start + Interval - 1));
        Assert.True(Take(table, Alice, Start + Interval));
        Assert.False(Take(table, Alice, Start + Interval));
        Assert.Equal(2, Passed(table, Alice, Start + 3 * Interval, 5));
    }

    [Fact]
    public void Bucket_RefillsToTheBurstAndNoFurther()
    {
        ClientTable table = Table();
        Passed(table, Alice, Start, Burst);
        Assert.Equal(Burst, Passed(table, Alice, Start + 100 * Interval, 10));
    }

    [Fact]
    public void ClientPollingAtExactlyTheInterval_IsNeverLimited()
    {
        ClientTable table = Table(burst: 1);
        for (int i = 0; i < 1_000; i++) Assert.True(Take(table, Alice, Start + i * Interval));
    }

    [Fact]
    public void Flooder_GetsItsBurstAndThenOneRequestPerInterval()
    {
        ClientTable table = Table();
        int passed = 0;
        const int perInterval = 50;
        const int intervals = 100;
        for (int i = 0; i < perInterval * intervals; i++)
        {
            if (Take(table, Alice, Start + i * (Interval / perInterval))) passed++;
        }

        // The burst, then one per interval over the 100 intervals (less the last partial one).
        Assert.InRange(passed, Burst + intervals - 1, Burst + intervals);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void IburstStart_PassesUnderTheDefaultBurst(int requests)
    {
        // chrony and ntpd send their first 4 to 8 requests about 2 s apart; the default allows 16 back to back.
        var defaults = new ClientPolicyOptions();
        var table = new ClientTable(defaults.Entries, defaults.Interval.Ticks * 100, defaults.Burst, defaults.Ipv6Prefix, 1);
        for (int i = 0; i < requests; i++) Assert.True(Take(table, Alice, Start + i * (Second / 2)));
    }

    [Fact]
    public void TimeGoingBackwards_CountsAsNoTimePassing()
    {
        ClientTable table = Table();
        Assert.Equal(Burst, Passed(table, Alice, Start, Burst));
        // A worker's clock read out of order (or a caller mixing clocks) neither refuses nor refills anyone.
        Assert.False(Take(table, Alice, Start - 1_000 * Second));
        Assert.False(Take(table, Alice, long.MinValue));
        Assert.True(Take(table, Alice, Start + Interval));
        Assert.Equal(Burst, Passed(table, Bob, 0, 10));
    }

    [Fact]
    public void HugeGapsAndExtremeTimes_RefillWithoutOverflow()
    {
        ClientTable table = Table(burst: ClientPolicyOptions.MaxBurst);
        Assert.Equal(ClientPolicyOptions.MaxBurst, Passed(table, Alice, long.MinValue + 1, 2_000));
        Assert.Equal(ClientPolicyOptions.MaxBurst, Passed(table, Alice, 0, 2_000));
        Assert.Equal(ClientPolicyOptions.MaxBurst, Passed(table, Alice, long.MaxValue / 2, 2_000));
        // Near the end of the clock's range the bucket's full-at time would pass long.MaxValue; it must not wrap
        // into the past (which would mean unlimited requests).
        long end = long.MaxValue - Interval;
        int passed = Passed(table, Alice, end, 2_000);
        Assert.InRange(passed, 1, ClientPolicyOptions.MaxBurst);
        Assert.False(Take(table, Alice, end));
    }

    [Fact]
    public void Ipv6ClientsInOnePrefix_ShareABucket()
    {
        ClientTable table = Table();
        Assert.Equal(2, Passed(table, Address("2001:db8:1:2::1"), Start, 2));
        Assert.Equal(2, Passed(table, Address("2001:db8:1:2:ffff:ffff:ffff:ffff"), Start, 10));
        Assert.Equal(Burst, Passed(table, Address("2001:db8:1:3::1"), Start, 10));
    }

    [Fact]
    public void Ipv6PrefixLength_IsConfigurable()
    {
        ClientTable table = Table(ipv6Prefix: 48);
        Assert.Equal(2, Passed(table, Address("2001:db8:1:2::1"), Start, 2));
        Assert.Equal(2, Passed(table, Address("2001:db8:1:ffff::1"), Start, 10));
        Assert.Equal(Burst, Passed(table, Address("2001:db8:2::1"), Start, 10));
        Assert.Equal(Address("2001:db8:1::"), table.KeyOf(Address("2001:db8:1:2:3:4:5:6")));
    }

    [Fact]
    public void Ipv4Clients_AreNeverGroupedAndMappedAddressesAreIpv4()
    {
        ClientTable table = Table(ipv6Prefix: 1);
        Assert.Equal(Burst, Passed(table, Address("192.0.2.1"), Start, 10));
        Assert.Equal(Burst, Passed(table, Address("192.0.2.2"), Start, 10));
        Assert.Equal(0, Passed(table, Address("::ffff:192.0.2.1"), Start, 10));
    }

    [Fact]
    public void FullSet_EvictsTheClientSeenLongestAgo()
    {
        // One set: eight entries.
        ClientTable table = Table(entries: ClientTable.Ways);
        Assert.Equal(ClientTable.Ways, table.Capacity);
        for (int i = 0; i < ClientTable.Ways; i++) Passed(table, ClientAddress.FromIPv4((uint)i), Start + i, Burst);
        // Client 0 comes back later than all the others, so client 1 is now the oldest.
        Assert.Equal(0, Passed(table, ClientAddress.FromIPv4(0), Start + 100, 1));
        Assert.Equal(0, table.Evictions);

        Assert.Equal(Burst, Passed(table, ClientAddress.FromIPv4(1000), Start + 200, Burst));
        Assert.Equal(1, table.Evictions);
        // Client 1 was evicted and starts afresh; client 0 kept its (empty) bucket.
        Assert.Equal(0, Passed(table, ClientAddress.FromIPv4(0), Start + 300, 1));
        Assert.Equal(Burst, Passed(table, ClientAddress.FromIPv4(1), Start + 300, Burst));
        Assert.Equal(2, table.Evictions);
    }

    [Fact]
    public void TableUnderAFloodOfNewClients_KeepsItsSizeAndEvicts()
    {
        ClientTable table = Table(entries: 100);
        Assert.Equal(104, table.Capacity);
        for (uint i = 0; i < 100_000; i++) Take(table, ClientAddress.FromIPv4(i), Start + i);
        Assert.Equal(104, table.Capacity);
        Assert.True(table.Evictions >= 100_000 - 104);
        var top = new ClientLogEntry[200];
        Assert.Equal(104, table.CopyTop(top));
    }

    [Fact]
    public void NeighbouringAddresses_SpreadOverTheSets()
    {
        // Half full with consecutive IPv4 addresses, then with consecutive IPv6 /64s: a hash that clustered them
        // would evict long before the table is full. An ideal hash evicts about 270 here (8-way sets of Poisson(4) load).
        ClientTable table = Table(entries: 65_536);
        for (uint i = 0; i < 32_768; i++) Take(table, ClientAddress.FromIPv4(0xC000_0200 + i), Start);
        Assert.InRange(table.Evictions, 0, 500);
        table = Table(entries: 65_536);
        for (ulong i = 0; i < 32_768; i++) Take(table, new ClientAddress(0x2001_0db8_0000_0000UL + i, 1), Start);
        Assert.InRange(table.Evictions, 0, 500);
    }

    [Fact]
    public void ClientLog_ListsTheBusiestClientsFirstWithTheirCounters()
    {
        ClientTable table = Table(entries: 1024);
        for (uint client = 1; client <= 100; client++)
        {
            for (uint i = 0; i < client; i++) table.Take(ClientAddress.FromIPv4(client), nts: client % 2 == 0, Start + client, out _, out _);
        }

        table.Take(Address("2001:db8::1"), nts: true, Start + 1, out _, out _);
        var top = new ClientLogEntry[5];
        Assert.Equal(5, table.CopyTop(top));
        Assert.Equal([100L, 99, 98, 97, 96], top.Select(e => e.Requests));
        Assert.Equal(ClientAddress.FromIPv4(100), top[0].Prefix);
        Assert.Equal(32, top[0].PrefixLength);
        Assert.True(top[0].SeenNts);
        Assert.False(top[0].SeenPlain);
        Assert.True(top[1].SeenPlain);
        Assert.Equal(Start + 100, top[0].LastSeen);

        var all = new ClientLogEntry[1000];
        Assert.Equal(101, table.CopyTop(all));
        ClientLogEntry ipv6 = all[..101].Single(e => !e.Prefix.IsIPv4);
        Assert.Equal(Address("2001:db8::"), ipv6.Prefix);
        Assert.Equal(64, ipv6.PrefixLength);
        Assert.Equal(0, table.CopyTop([]));
    }

    [Fact]
    public async Task ClientLog_CanBeReadWhileTheWorkerWrites()
    {
        ClientTable table = Table(entries: 256);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var top = new ClientLogEntry[16];
            int reads = 0;
            while (!stop.IsCancellationRequested && reads < 100_000)
            {
                int count = table.CopyTop(top);
                for (int i = 0; i < count; i++)
                {
                    // A record is a real client of the writer below, never a mix of a key and garbage.
                    Assert.True(top[i].Prefix.IsIPv4 && (uint)top[i].Prefix.Low < 1000);
                    Assert.InRange(top[i].Requests, 1, 200_000);
                    if (i > 0) Assert.True(top[i - 1].Requests >= top[i].Requests);
                }

                reads++;
            }
        });

        for (int i = 0; i < 200_000; i++) Take(table, ClientAddress.FromIPv4((uint)(i * 7 % 1000)), Start + i);
        stop.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
