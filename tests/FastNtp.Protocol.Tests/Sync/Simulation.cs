namespace FastNtp.Protocol.Tests.Sync;

/// <summary>A local clock with drift and phase noise, in simulated true time (seconds since the start).</summary>
internal sealed class SimClock(double initialPhase, double driftPpm, double phaseNoise, Random rng)
{
    public static readonly NtpTimestamp Epoch = NtpTimestamp.FromDateTime(new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    public double TrueTime { get; private set; }
    /// <summary>Local time minus true time.</summary>
    public double Phase { get; private set; } = initialPhase;
    public double DriftPpm { get; } = driftPpm;
    /// <summary>The correction the discipline applied, as the kernel would (positive runs faster).</summary>
    public double FrequencyPpm { get; set; }
    public int Steps { get; private set; }

    public NtpTimestamp Local => Epoch + NtpDuration.FromSeconds(TrueTime + Phase);

    public void AdvanceTo(double trueTime)
    {
        double dt = trueTime - TrueTime;
        if (dt <= 0) return;
        // Random-walk phase noise grows with the square root of the interval.
        Phase += (DriftPpm + FrequencyPpm) * 1e-6 * dt + phaseNoise * Math.Sqrt(dt) * Gaussian(rng);
        TrueTime = trueTime;
    }

    public void Step(double seconds)
    {
        Phase += seconds;
        Steps++;
    }

    public double ToTrue(NtpTimestamp local) => (local - Epoch).TotalSeconds - Phase;

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>A simulated upstream server and the path to it.</summary>
internal sealed class SimServer
{
    public required string Name { get; init; }
    /// <summary>The server's clock minus true time: 0 for an honest server, 1 s for the falseticker.</summary>
    public double Offset { get; set; }
    public byte Stratum { get; init; } = 1;
    public LeapIndicator Leap { get; set; } = LeapIndicator.NoWarning;
    public double RootDelay { get; init; }
    public double RootDispersion { get; init; } = 0.0001;
    public double BaseDelay { get; init; } = 0.010;
    /// <summary>Outbound minus return one-way delay.</summary>
    public double Asymmetry { get; init; }
    /// <summary>Mean of the exponential queueing delay added to each direction.</summary>
    public double Jitter { get; init; } = 0.001;
    public double Loss { get; init; }
    public bool Online { get; set; } = true;
    public int Id { get; set; }
    public ReferenceId ReferenceId { get; init; }

    public byte[] Reply(ReadOnlySpan<byte> request, double serverTrueReceive, double serverTrueTransmit)
    {
        NtpHeader.TryRead(request, out NtpHeader req);
        var reply = new NtpHeader
        {
            Leap = Leap,
            Version = req.Version,
            Mode = NtpMode.Server,
            Stratum = Stratum,
            Poll = req.Poll,
            Precision = -24,
            RootDelay = NtpDuration.FromSeconds(RootDelay).ToShortFormat(),
            RootDispersion = NtpDuration.FromSeconds(RootDispersion).ToShortFormat(),
            ReferenceId = ReferenceId.FromAscii("GPS"),
            ReferenceTime = SimClock.Epoch + NtpDuration.FromSeconds(serverTrueReceive + Offset - 1),
            OriginTime = req.TransmitTime,
            ReceiveTime = SimClock.Epoch + NtpDuration.FromSeconds(serverTrueReceive + Offset),
            TransmitTime = SimClock.Epoch + NtpDuration.FromSeconds(serverTrueTransmit + Offset),
        };
        byte[] bytes = new byte[NtpHeader.Length];
        reply.Write(bytes);
        return bytes;
    }
}

/// <summary>
/// Drives a <see cref="SyncProcess"/> event by event against simulated servers and a simulated network.
/// Deterministic for a seed; simulated hours take milliseconds because nothing sleeps.
/// </summary>
internal sealed class Simulation
{
    private readonly Random _rng;
    private readonly List<SimServer> _servers = [];
    private readonly PriorityQueue<(int Server, byte[] Packet), double> _inFlight = new();
    private readonly byte[] _buffer = new byte[NtpHeader.Length];

    public Simulation(int seed, SyncProcessSettings settings, double initialPhase = 0, double driftPpm = 0, double phaseNoise = 1e-7)
    {
        _rng = new Random(seed);
        Clock = new SimClock(initialPhase, driftPpm, phaseNoise, _rng);
        Process = new SyncProcess(settings);
    }

    public SimClock Clock { get; }
    public SyncProcess Process { get; }
    public IReadOnlyList<SimServer> Servers => _servers;
    public int Panics { get; private set; }

    public SimServer AddServer(SimServer server, int minPoll = 6, int maxPoll = 10)
    {
        server.Id = Process.AddSource(server.Name, $"192.0.2.{_servers.Count + 1}:123",
            ReferenceId.FromAddress(System.Net.IPAddress.Parse($"192.0.2.{_servers.Count + 1}")), minPoll, maxPoll);
        _servers.Add(server);
        return server;
    }

    /// <summary>Runs until <paramref name="trueTime"/>, calling <paramref name="afterEvent"/> after every poll and reply.</summary>
    public void RunUntil(double trueTime, Action? afterEvent = null)
    {
        for (int guard = 0; guard < 10_000_000; guard++)
        {
            NtpTimestamp local = Clock.Local;
            double nextPoll = Clock.TrueTime + Math.Max(0, (Process.NextDeadline(local) - local).TotalSeconds);
            bool arrival = _inFlight.TryPeek(out _, out double nextArrival) && nextArrival <= nextPoll;
            double next = arrival ? nextArrival : nextPoll;
            if (next > trueTime)
            {
                Clock.AdvanceTo(trueTime);
                return;
            }

            Clock.AdvanceTo(next);
            if (arrival)
            {
                (int server, byte[] packet) = _inFlight.Dequeue();
                Apply(Process.HandleReply(server, packet, Clock.Local));
            }
            else
            {
                PollDue();
            }

            afterEvent?.Invoke();
        }

        throw new InvalidOperationException("The simulation did not reach its end time.");
    }

    private void PollDue()
    {
        foreach (SimServer server in _servers)
        {
            NtpTimestamp now = Clock.Local;
            if (!Process.Source(server.Id).IsDue(now)) continue;
            int length = Process.Poll(server.Id, now, new NtpTimestamp((ulong)_rng.NextInt64()), _buffer, out SyncUpdate update);
            Apply(update);
            if (!server.Online || _rng.NextDouble() < server.Loss) continue;

            double outbound = server.BaseDelay + server.Asymmetry / 2 + Exponential(server.Jitter);
            double back = server.BaseDelay - server.Asymmetry / 2 + Exponential(server.Jitter);
            double received = Clock.TrueTime + outbound;
            double transmitted = received + 0.00002;
            _inFlight.Enqueue((server.Id, server.Reply(_buffer.AsSpan(0, length), received, transmitted)), transmitted + back);
        }
    }

    private void Apply(SyncUpdate update)
    {
        switch (update.Action.Kind)
        {
            case DisciplineKind.Step:
                Clock.Step(update.Action.Step.TotalSeconds);
                break;
            case DisciplineKind.Frequency:
                Clock.FrequencyPpm = update.Action.FrequencyPpm;
                break;
            case DisciplineKind.Panic:
                Panics++;
                break;
        }
    }

    private double Exponential(double mean) => mean <= 0 ? 0 : -mean * Math.Log(1 - _rng.NextDouble());
}
