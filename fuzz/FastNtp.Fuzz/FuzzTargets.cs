using FastNtp.Crypto;
using FastNtp.Protocol;
using FastNtp.Protocol.Client;
using FastNtp.Protocol.Frames;
using FastNtp.Protocol.Leap;
using FastNtp.Protocol.Ntp;
using FastNtp.Protocol.Nts;
using FastNtp.Protocol.Policy;
using FastNtp.Server.Configuration;

namespace FastNtp.Fuzz;

/// <summary>A broken invariant: thrown inside a target so that AFL++ records the input as a crash.</summary>
internal sealed class InvariantException(string message) : Exception(message);

internal readonly struct FixedClock : IClock
{
    public static readonly NtpTimestamp Time = NtpTimestamp.FromParts(3_900_000_000, 0x8000_0000);

    public NtpTimestamp Now() => Time;
}

/// <summary>
/// One fuzz target per parser that sees network or file input. Each takes the raw input; parsers must never
/// throw on it, so any exception (including <see cref="InvariantException"/>) is a finding.
/// </summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["ntp-header"] = NtpHeaderAndFields,
        ["responder"] = PlainResponder,
        ["nts-responder"] = NtsResponderTarget,
        ["nts-cookie"] = NtsCookie,
        ["ntske-records"] = NtsKeRecords,
        ["ntske-server"] = NtsKeServer,
        ["ntske-client"] = NtsKeClient,
        ["client-reply"] = ClientReply,
        ["nts-client-reply"] = NtsClientReply,
        ["frame"] = Frame,
        ["access-list"] = AccessListEntries,
        ["config"] = ConfigFile,
        ["leap-file"] = LeapFile,
    };

    /// <summary>The header reader and the extension-field walk after it.</summary>
    private static void NtpHeaderAndFields(byte[] input)
    {
        if (!NtpHeader.TryRead(input, out _) || input.Length == NtpHeader.Length) return;
        ReadOnlySpan<byte> afterHeader = input.AsSpan(NtpHeader.Length);
        var reader = new ExtensionFieldReader(afterHeader);
        int walked = 0;
        while (reader.MoveNext())
        {
            ExtensionField field = reader.Current;
            if (field.Length < ExtensionField.MinimumLength || field.Length % 4 != 0) throw new InvariantException($"field of length {field.Length} accepted");
            walked += field.Length;
        }

        if (walked > afterHeader.Length) throw new InvariantException("the walk went past the end");
        _ = ExtensionFieldReader.Classify(afterHeader);
        _ = NtsRequestFields.Read(afterHeader);
    }

    /// <summary>Requests answered and recorded as a worker does, interleaved mode on or off (<see cref="ResponderExchanges"/>).</summary>
    private static void PlainResponder(byte[] input) => ResponderExchanges.Run(Fixtures.Plain, input);

    /// <summary>As <see cref="PlainResponder"/> with NTS on and a real cookie key set: cookie open, authenticate, new cookies, seal.</summary>
    private static void NtsResponderTarget(byte[] input) => ResponderExchanges.Run(Fixtures.Nts, input);

    private static void NtsCookie(byte[] input)
    {
        Span<byte> keys = stackalloc byte[128];
        if (Fixtures.Cookies.Open(input, out AeadAlgorithm algorithm, keys, out int keyLength) != CookieOpenResult.Ok) return;
        if (keyLength != Aead.KeyLength(algorithm)) throw new InvariantException("an opened cookie with keys of the wrong length");
    }

    /// <summary>The record reader and both message parsers (server reads requests, client reads responses).</summary>
    private static void NtsKeRecords(byte[] input)
    {
        var reader = new NtsKeRecordReader(input);
        while (reader.MoveNext())
        {
            if (reader.Offset > input.Length) throw new InvariantException("the record walk went past the end");
        }

        _ = NtsKeRequest.Parse(input, Fixtures.KeAlgorithms);
        _ = NtsKeResponse.Parse(input, Fixtures.KeAlgorithms);
    }

    /// <summary>A whole server session: the input arrives in pieces (sizes from the first octet) until a final step.</summary>
    private static void NtsKeServer(byte[] input)
    {
        if (input.Length < 1) return;
        var session = new NtsKeServerSession(Fixtures.KePolicy);
        int piece = Math.Max(1, (int)input[0]);
        ReadOnlySpan<byte> stream = input.AsSpan(1);
        for (int received = Math.Min(piece, stream.Length); ; received = Math.Min(received + piece, stream.Length))
        {
            NtsKeServerStep step = session.Receive(stream[..received], Fixtures.Exporter, Fixtures.Cookies, Fixtures.Response);
            if (step.ResponseLength > Fixtures.KePolicy.MaxResponseLength) throw new InvariantException("response longer than the policy's maximum");
            if (step.CookiesIssued > Fixtures.KePolicy.CookiesPerResponse) throw new InvariantException("more cookies than the policy allows");
            if (step.IsFinal) return;
            if (received == stream.Length) break;
        }

        if (!session.EndOfStream().IsFinal) throw new InvariantException("end of stream left the session pending");
    }

    private static void NtsKeClient(byte[] input)
    {
        var session = new NtsKeClientSession([AeadAlgorithm.AesSivCmac256, AeadAlgorithm.Aes128GcmSiv]);
        if (session.Receive(input, Fixtures.Exporter) == NtsKeClientOutcome.Pending) _ = session.EndOfStream();
    }

    /// <summary>The plain client's reply check (fastntp query, the synchronizer's NTP sources).</summary>
    private static void ClientReply(byte[] input)
    {
        ClientSample sample = ClientExchange.ReadReply(input, FixedClock.Time, FixedClock.Time, FixedClock.Time);
        if (sample.Error == ReplyError.None && sample.Delay < NtpDuration.Zero) throw new InvariantException("a negative delay");
    }

    /// <summary>The NTS client's reply check with the seeds' session keys and unique identifier.</summary>
    private static void NtsClientReply(byte[] input)
    {
        Fixtures.NewCookies.Clear();
        NtsReplyStatus status = NtsClientPacket.Verify(input, FixedClock.Time, FuzzKeys.UniqueId, Fixtures.S2CAead, Fixtures.NewCookies);
        if (status != NtsReplyStatus.Ok && Fixtures.NewCookies.Count > 0) throw new InvariantException("cookies kept from a rejected reply");
    }

    /// <summary>Ethernet, IPv4/IPv6 and UDP headers as the AF_XDP path reads them.</summary>
    private static void Frame(byte[] input)
    {
        if (UdpFrame.TryParse(input, out _) == FrameError.None) _ = UdpFrame.TryParse(input, out _, UdpChecksumPolicy.Skip);
        _ = ClientAddress.TryCreate(input.AsSpan(0, Math.Min(input.Length, 16)), out _);
    }

    /// <summary>Access:Allow / Access:Deny entries, one a line; the first line's entries allow, the rest deny.</summary>
    private static void AccessListEntries(byte[] input)
    {
        string[] lines = System.Text.Encoding.UTF8.GetString(input).Split('\n');
        foreach (string line in lines) _ = AccessList.TryParsePrefix(line, out _, out _, out _);
        _ = AccessList.TryCreate(lines[..1], lines[1..], out _, out _);
    }

    /// <summary>The configuration file: any input is a usable configuration or a <see cref="ConfigurationException"/>.</summary>
    private static void ConfigFile(byte[] input)
    {
        File.WriteAllBytes(Fixtures.ConfigPath, input);
        try
        {
            _ = ConfigurationLoader.Load(Fixtures.ConfigPath, [], new Dictionary<string, string?>());
        }
        catch (ConfigurationException)
        {
        }
    }

    /// <summary>The leap-seconds.list reader: a file it accepts is ordered and steps by one second.</summary>
    private static void LeapFile(byte[] input)
    {
        LeapFileResult result = LeapSecondList.TryParse(System.Text.Encoding.UTF8.GetString(input), out LeapSecondList? list);
        if (result.IsValid != list is not null) throw new InvariantException($"{result} with list {list is not null}");
        if (list is null) return;
        for (int i = 1; i < list.Entries.Count; i++)
        {
            if (list.Entries[i].NtpSeconds <= list.Entries[i - 1].NtpSeconds) throw new InvariantException("entries out of order accepted");
            if (Math.Abs(list.Entries[i].TaiOffset - list.Entries[i - 1].TaiOffset) != 1) throw new InvariantException("an offset step accepted");
        }
    }
}
