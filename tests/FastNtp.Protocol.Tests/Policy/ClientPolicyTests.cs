using System.Net;

namespace FastNtp.Protocol.Tests.Policy;

public class ClientPolicyTests
{
    private const long Second = 1_000_000_000;
    private const long Start = 5_000 * Second;

    private static readonly ClientAddress Client = Address("198.51.100.7");

    private static ClientAddress Address(string text) => ClientAddress.FromIPAddress(IPAddress.Parse(text));

    private static ClientPolicyOptions Limited(double kodShare = 0.1, int burst = 4) => new()
    {
        RateLimitEnabled = true,
        Interval = TimeSpan.FromSeconds(2),
        Burst = burst,
        KodShare = kodShare,
        Entries = 1024,
    };

    private static AccessList Access(string[] allow, string[] deny)
    {
        Assert.True(AccessList.TryCreate(allow, deny, out AccessList list, out _));
        return list;
    }

    private static ClientPolicy Policy(ClientPolicyOptions options, AccessList? access = null) =>
        new(options, access ?? AccessList.AllowAll, seed: 99);

    private static List<PolicyDecision> Decide(ClientPolicy policy, in ClientAddress client, bool nts, int count, long now = Start)
    {
        var decisions = new List<PolicyDecision>();
        for (int i = 0; i < count; i++) decisions.Add(policy.Decide(client, nts, now));
        return decisions;
    }

    [Fact]
    public void NothingConfigured_AllowsEveryRequestAndTracksNothing()
    {
        ClientPolicy policy = Policy(new ClientPolicyOptions());
        Assert.Null(policy.Table);
        Assert.All(Decide(policy, Client, nts: false, 100), d => Assert.Equal(PolicyDecision.Allow, d));
    }

    [Fact]
    public void Requests_AreAllowedWithinTheBurstThenLimited()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 0));
        List<PolicyDecision> decisions = Decide(policy, Client, nts: false, 10);
        Assert.Equal(Enumerable.Repeat(PolicyDecision.Allow, 4), decisions.Take(4));
        Assert.All(decisions.Skip(4), d => Assert.Equal(PolicyDecision.RateLimitedDrop, d));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.1, 100)]
    [InlineData(0.25, 250)]
    [InlineData(0.5, 500)]
    [InlineData(1.0, 1000)]
    [InlineData(0.000001, 1)]
    public void RequestsOverTheLimit_GetARateKissInExactlyTheKodShare(double share, int kisses)
    {
        ClientPolicy policy = Policy(Limited(kodShare: share));
        Decide(policy, Client, nts: false, 4);
        List<PolicyDecision> over = Decide(policy, Client, nts: false, 1000);
        Assert.Equal(kisses, over.Count(d => d == PolicyDecision.RateLimitedKiss));
        Assert.Equal(1000 - kisses, over.Count(d => d == PolicyDecision.RateLimitedDrop));
        // The first request over the limit is kissed at once when there is any share, so a client learns quickly.
        Assert.Equal(share > 0 ? PolicyDecision.RateLimitedKiss : PolicyDecision.RateLimitedDrop, over[0]);
    }

    [Fact]
    public void Kisses_AreSpreadEvenly()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 0.25));
        Decide(policy, Client, nts: false, 4);
        List<PolicyDecision> over = Decide(policy, Client, nts: false, 16);
        for (int i = 0; i < over.Count; i++)
            Assert.Equal(i % 4 == 0 ? PolicyDecision.RateLimitedKiss : PolicyDecision.RateLimitedDrop, over[i]);
    }

    [Fact]
    public void NtsRequestsOverTheLimit_AreDroppedNeverKissed()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 1.0));
        List<PolicyDecision> decisions = Decide(policy, Client, nts: true, 50);
        Assert.Equal(4, decisions.Count(d => d == PolicyDecision.Allow));
        Assert.All(decisions.Skip(4), d => Assert.Equal(PolicyDecision.RateLimitedDrop, d));
    }

    [Fact]
    public void NtsAndPlainRequestsFromOneClient_ShareItsBucket()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 1.0));
        Decide(policy, Client, nts: true, 4);
        Assert.Equal(PolicyDecision.RateLimitedKiss, policy.Decide(Client, nts: false, Start));
        Assert.Equal(PolicyDecision.RateLimitedDrop, policy.Decide(Client, nts: true, Start));
    }

    [Fact]
    public void LimitedClient_RecoversAfterAnInterval()
    {
        ClientPolicy policy = Policy(Limited());
        Decide(policy, Client, nts: false, 20);
        Assert.Equal(PolicyDecision.Allow, policy.Decide(Client, nts: false, Start + 2 * Second));
        Assert.NotEqual(PolicyDecision.Allow, policy.Decide(Client, nts: false, Start + 2 * Second));
    }

    [Theory]
    [InlineData(DenyAction.Drop, false, PolicyDecision.DeniedDrop)]
    [InlineData(DenyAction.Kod, false, PolicyDecision.DeniedKiss)]
    [InlineData(DenyAction.Drop, true, PolicyDecision.DeniedDrop)]
    [InlineData(DenyAction.Kod, true, PolicyDecision.DeniedDrop)]
    public void DeniedClient_IsDroppedOrKissedPerTheDenyAction(DenyAction action, bool nts, PolicyDecision expected)
    {
        ClientPolicy policy = Policy(new ClientPolicyOptions { DenyAction = action }, Access([], ["198.51.100.0/24"]));
        Assert.Equal(expected, policy.Decide(Client, nts, Start));
        Assert.Equal(PolicyDecision.Allow, policy.Decide(Address("192.0.2.1"), nts, Start));
    }

    [Theory]
    [InlineData(DenyAction.Drop, PolicyDecision.NtsRequiredDrop)]
    [InlineData(DenyAction.Kod, PolicyDecision.NtsRequiredKiss)]
    public void NtsRequired_RefusesPlainRequestsAndPassesNtsRequests(DenyAction action, PolicyDecision expected)
    {
        ClientPolicy policy = Policy(new ClientPolicyOptions { RequireNts = true, DenyAction = action });
        Assert.Equal(expected, policy.Decide(Client, nts: false, Start));
        Assert.Equal(PolicyDecision.Allow, policy.Decide(Client, nts: true, Start));
    }

    [Fact]
    public void AccessList_IsCheckedBeforeTheNtsRequirement()
    {
        ClientPolicy policy = Policy(new ClientPolicyOptions { RequireNts = true }, Access([], ["198.51.100.7"]));
        Assert.Equal(PolicyDecision.DeniedDrop, policy.Decide(Client, nts: false, Start));
        Assert.Equal(PolicyDecision.DeniedDrop, policy.Decide(Client, nts: true, Start));
    }

    [Fact]
    public void DenyKisses_AreRateLimitedSoAForgedFloodIsNotReflected()
    {
        ClientPolicy policy = Policy(Limited() with { DenyAction = DenyAction.Kod }, Access([], ["198.51.100.0/24"]));
        List<PolicyDecision> decisions = Decide(policy, Client, nts: false, 100);
        Assert.Equal(4, decisions.Count(d => d == PolicyDecision.DeniedKiss));
        Assert.Equal(96, decisions.Count(d => d == PolicyDecision.DeniedDrop));
    }

    [Fact]
    public void ClientLog_CountsKissesAndDrops()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 0.5));
        Decide(policy, Client, nts: false, 14);
        var top = new ClientLogEntry[1];
        Assert.Equal(1, policy.Table!.CopyTop(top));
        Assert.Equal(new ClientLogEntry(Client, 32, 14, 5, 5, SeenNts: false, SeenPlain: true, Start), top[0]);
    }

    [Fact]
    public void Decisions_MapOntoCountersAndKissCodes()
    {
        Assert.Equal(PolicyCounter.RateLimitedKiss, PolicyDecision.RateLimitedKiss.Counter());
        Assert.Equal(PolicyCounter.RateLimitedDrop, PolicyDecision.RateLimitedDrop.Counter());
        Assert.Equal(PolicyCounter.Denied, PolicyDecision.DeniedKiss.Counter());
        Assert.Equal(PolicyCounter.Denied, PolicyDecision.DeniedDrop.Counter());
        Assert.Equal(PolicyCounter.NtsRequired, PolicyDecision.NtsRequiredKiss.Counter());
        Assert.Equal(PolicyCounter.NtsRequired, PolicyDecision.NtsRequiredDrop.Counter());
        Assert.Equal(ReferenceId.Rate, PolicyDecision.RateLimitedKiss.KissCode());
        Assert.Equal(ReferenceId.Deny, PolicyDecision.DeniedKiss.KissCode());
        Assert.Equal(ReferenceId.Deny, PolicyDecision.NtsRequiredKiss.KissCode());
        Assert.Equal(4, PolicyDecisions.CounterCount);
    }

    [Fact]
    public void Policy_WritesTheKissItsDecisionCallsFor()
    {
        ClientPolicy policy = Policy(Limited(kodShare: 1.0) with { Interval = TimeSpan.FromSeconds(10) });
        Assert.Equal(4, policy.KissPoll);
        byte[] request = new byte[48];
        new NtpHeader { Version = 4, Mode = NtpMode.Client, Poll = 2, TransmitTime = NtpTimestamp.FromParts(1, 2) }.Write(request);
        byte[] response = new byte[48];
        Assert.Equal(0, policy.WriteKiss(PolicyDecision.RateLimitedDrop, request, response));
        Assert.Equal(48, policy.WriteKiss(PolicyDecision.RateLimitedKiss, request, response));
        Assert.True(NtpHeader.TryRead(response, out NtpHeader kiss));
        Assert.Equal(ReferenceId.Rate, kiss.ReferenceId);
        Assert.Equal(4, kiss.Poll);
        Assert.Equal(48, policy.WriteKiss(PolicyDecision.NtsRequiredKiss, request, response));
        Assert.Equal(ReferenceId.Deny, new ReferenceId((uint)(response[12] << 24 | response[13] << 16 | response[14] << 8 | response[15])));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(64, 6)]
    [InlineData(86_400, 17)]
    public void KissPoll_IsTheIntervalRoundedUpToAPowerOfTwo(int seconds, sbyte poll) =>
        Assert.Equal(poll, Policy(new ClientPolicyOptions { Interval = TimeSpan.FromSeconds(seconds) }).KissPoll);

    [Fact]
    public void BadOptions_AreReportedByNameAndRefused()
    {
        var options = new ClientPolicyOptions
        {
            Interval = TimeSpan.Zero,
            Burst = 0,
            KodShare = double.NaN,
            Entries = 1,
            Ipv6Prefix = 129,
            DenyAction = (DenyAction)7,
        };
        IReadOnlyList<string> errors = options.Validate();
        Assert.Equal(6, errors.Count);
        string[] names = ["RateLimit:Interval", "RateLimit:Burst", "RateLimit:KodShare", "RateLimit:Entries", "RateLimit:Ipv6Prefix", "Access:DenyAction"];
        for (int i = 0; i < names.Length; i++) Assert.StartsWith(names[i] + ": ", errors[i], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Policy(options));
        Assert.Empty(new ClientPolicyOptions().Validate());
    }

    [Fact]
    public void Deciding_AllocatesNothing()
    {
        ClientPolicy policy = Policy(Limited() with { DenyAction = DenyAction.Kod, Entries = 64 }, Access(["0.0.0.0/0", "2001:db8::/32"], ["10.0.0.0/8"]));
        byte[] request = new byte[48];
        byte[] response = new byte[48];
        ClientAddress denied = Address("10.1.1.1");
        ClientAddress ipv6 = Address("2001:db8::5");
        for (uint i = 0; i < 100; i++) policy.Decide(ClientAddress.FromIPv4(i), nts: false, Start);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int kisses = 0;
        for (uint i = 0; i < 10_000; i++)
        {
            _ = policy.Decide(ClientAddress.FromIPv4(0xC000_0000 | i), nts: (i & 1) == 0, Start + i);
            PolicyDecision decision = policy.Decide(Client, nts: false, Start + i);
            kisses += policy.WriteKiss(decision, request, response);
            kisses += policy.WriteKiss(policy.Decide(denied, nts: false, Start + i), request, response);
            policy.Decide(ipv6, nts: true, Start + i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(kisses > 0);
        Assert.Equal(0, allocated);
    }

    private static Gen<ClientAddress> Addresses =>
        Gen.Frequency(
            (3, Gen.Choose(0, 50).Select(i => ClientAddress.FromIPv4((uint)i))),
            (2, ArbMap.Default.GeneratorFor<uint>().Select(ClientAddress.FromIPv4)),
            (2, from high in ArbMap.Default.GeneratorFor<ulong>()
                from low in ArbMap.Default.GeneratorFor<ulong>()
                select new ClientAddress(high, low)));

    private static Gen<long> Times =>
        Gen.Frequency(
            (4, Gen.Choose(0, 100_000).Select(ms => Start + ms * 1_000_000L)),
            (1, ArbMap.Default.GeneratorFor<long>()));

    private static Gen<(ClientAddress Address, bool Nts, long Now)[]> Requests =>
        (from address in Addresses
         from nts in ArbMap.Default.GeneratorFor<bool>()
         from now in Times
         select (address, nts, now)).ArrayOf();

    [Fact]
    public void Decisions_NeverThrowAndTheTableNeverGrows()
    {
        AccessList access = Access(["0.0.0.0/1", "2000::/3"], ["10.0.0.0/8", "2001:db8::/32"]);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Arb.From(Requests), requests =>
        {
            ClientPolicy policy = Policy(Limited(kodShare: 0.3) with { Entries = 16, DenyAction = DenyAction.Kod }, access);
            var top = new ClientLogEntry[64];
            foreach ((ClientAddress address, bool nts, long now) in requests)
            {
                PolicyDecision decision = policy.Decide(address, nts, now);
                Assert.True(Enum.IsDefined(decision));
                if (nts) Assert.False(decision.IsKiss());
            }

            Assert.Equal(16, policy.Table!.Capacity);
            int listed = policy.Table.CopyTop(top);
            Assert.InRange(listed, 0, 16);
            long counted = top[..listed].Sum(e => e.Requests);
            // Every request is counted once, in its client's entry, until that entry is evicted.
            if (policy.Table.Evictions == 0) Assert.Equal(requests.Length, counted);
            else Assert.InRange(counted, 1, requests.Length);
        }));
    }

    [Fact]
    public void AllowedClient_NeverGetsMoreThanBurstPlusElapsedIntervals()
    {
        Gen<long[]> gaps = Gen.Choose(0, 3_000).Select(ms => ms * 1_000_000L).ArrayOf();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Arb.From(gaps), steps =>
        {
            ClientPolicy policy = Policy(Limited(kodShare: 0.5));
            long now = Start, allowed = 0;
            foreach (long step in steps)
            {
                now += step;
                if (policy.Decide(Client, nts: false, now) == PolicyDecision.Allow) allowed++;
            }

            long intervals = (now - Start) / (2 * Second);
            Assert.InRange(allowed, Math.Min(steps.Length, 1), 4 + intervals);
        }));
    }
}
