namespace FastNtp.Protocol.Tests.Nts;

/// <summary>Counts the NTS outcomes a responder reports in its results, as a worker's counters do.</summary>
internal sealed class NtsTally
{
    public long Authenticated;
    public long Naks;
    public long Rejected;
    public long SessionKeyLoads;

    public ResponderResult Count(ResponderResult result)
    {
        if ((result.Nts & NtsOutcome.Authenticated) != 0) Authenticated++;
        if ((result.Nts & NtsOutcome.Nak) != 0) Naks++;
        if ((result.Nts & NtsOutcome.SessionKeysLoaded) != 0) SessionKeyLoads++;
        if (result.Reason == DropReason.NtsInvalid) Rejected++;
        return result;
    }
}
