using FastNtp.Interop.Sockets;
using FastNtp.Interop.Timestamping;
using FastNtp.Server.Metrics;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Timestamping;

/// <summary>
/// <c>Server:HwTimestamp:Interfaces</c> at work: turns on each interface's NIC timestamping, opens the PHCs behind
/// them and keeps each PHC's line to the system clock current on a thread of its own (one PHC read a second), for
/// the packet workers to read through <see cref="Clocks"/>. An interface that cannot (no such interface, no hardware
/// stamps, no PHC, no permission) gets one log line and keeps software stamps; nothing here fails start-up.
/// Runs before the privilege drop: SIOCSHWTSTAMP needs CAP_NET_ADMIN and /dev/ptpN is usually root's; the opened
/// PHCs stay readable after.
/// </summary>
public sealed partial class HardwareTimestamping : IDisposable
{
    /// <summary>Time between PHC samples (chrony's hwtimestamp polls every second by default too).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Readings per sample; the one with the shortest bracket is used.</summary>
    private const int ReadingsPerSample = 10;

    private readonly ILogger _logger;
    private readonly int[] _clockOfInterface;
    private readonly PtpHardwareClock[] _phcs;
    private readonly PhcTracker[] _trackers;
    private readonly bool[] _tracked;
    private readonly ManualResetEventSlim _stop = new();
    private Thread? _thread;

    private HardwareTimestamping(
        IReadOnlyList<NicTimestampingResult> interfaces, int[] clockOfInterface, PtpHardwareClock[] phcs, HardwareClocks clocks, ILogger logger)
    {
        Interfaces = interfaces;
        _clockOfInterface = clockOfInterface;
        _phcs = phcs;
        Clocks = clocks;
        _logger = logger;
        _trackers = phcs.Select(_ => new PhcTracker()).ToArray();
        _tracked = new bool[phcs.Length];
    }

    /// <summary>What each configured interface answered, in configuration order.</summary>
    public IReadOnlyList<NicTimestampingResult> Interfaces { get; }

    public HardwareClocks Clocks { get; }

    /// <summary>Sets up every interface it can and starts tracking their PHCs; with no interfaces, does nothing.</summary>
    public static HardwareTimestamping Start(IReadOnlyList<string> interfaceNames, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(interfaceNames);
        ArgumentNullException.ThrowIfNull(logger);
        var results = new List<NicTimestampingResult>();
        var phcs = new List<PtpHardwareClock>();
        var interfaceClocks = new List<(int, int)>();
        var clockOfInterface = new List<int>();
        foreach (string name in interfaceNames.Distinct(StringComparer.Ordinal))
        {
            NicTimestampingResult result = Enable(name);
            results.Add(result);
            clockOfInterface.Add(-1);
            if (!result.IsEnabled)
            {
                LogCannot(logger, result.Describe());
                continue;
            }

            int phcIndex = result.Info!.PhcIndex;
            int slot = phcs.FindIndex(p => p.Index == phcIndex);
            if (slot < 0)
            {
                if (!PtpHardwareClock.TryOpen(phcIndex, out PtpHardwareClock? phc, out Errno errno))
                {
                    LogCannotOpen(logger, PtpHardwareClock.DevicePath(phcIndex), name, errno);
                    continue;
                }

                phcs.Add(phc!);
                slot = phcs.Count - 1;
            }

            interfaceClocks.Add((result.Info.InterfaceIndex, slot));
            clockOfInterface[^1] = slot;
            LogEnabled(logger, result.Describe());
        }

        var service = new HardwareTimestamping(results, [.. clockOfInterface], [.. phcs], new HardwareClocks(interfaceClocks, phcs.Count), logger);
        if (phcs.Count > 0)
        {
            service._thread = new Thread(service.Run) { IsBackground = true, Name = "fastntp-phc" };
            service._thread.Start();
        }

        return service;
    }

    /// <summary>Each configured interface as /status and the meter show it.</summary>
    public IReadOnlyList<HwTimestampStatus> Status()
    {
        var status = new HwTimestampStatus[Interfaces.Count];
        for (int i = 0; i < status.Length; i++)
        {
            PhcConversion? line = _clockOfInterface[i] < 0 ? null : Clocks.Conversion(_clockOfInterface[i]);
            status[i] = new HwTimestampStatus(Interfaces[i].Interface, line is not null, Interfaces[i].Describe(), line?.OffsetNanoseconds / 1e9, line?.PhcFrequencyPpm);
        }

        return status;
    }

    /// <summary>One sample of PHC slot <paramref name="clock"/> from its readings; publishes the new line (or none) and logs a change.</summary>
    internal void Sample(int clock, ReadOnlySpan<PhcReading> readings)
    {
        PhcTracker tracker = _trackers[clock];
        // Unreadable: no line until the history is rebuilt. Every reading rejected (wide brackets): the line stays,
        // and expires by itself (PhcConversion.MaxExtrapolationNanoseconds) if that lasts.
        if (readings.IsEmpty) tracker.Reset();
        else if (PhcSample.TryPick(readings, out PhcSample sample)) tracker.Add(sample);

        Clocks.Publish(clock, tracker.Current);
        bool tracked = Clocks.Conversion(clock) is not null;
        if (tracked == _tracked[clock]) return;
        _tracked[clock] = tracked;
        string device = PtpHardwareClock.DevicePath(_phcs[clock].Index);
        if (tracked)
        {
            PhcConversion now = Clocks.Conversion(clock)!;
            LogTracked(_logger, device, Readable.Seconds(now.OffsetNanoseconds / 1e9), now.PhcFrequencyPpm, _phcs[clock].Method);
        }
        else
        {
            LogLost(_logger, device);
        }
    }

    private void Run()
    {
        var readings = new PhcReading[ReadingsPerSample];
        while (!_stop.IsSet)
        {
            for (int i = 0; i < _phcs.Length; i++)
            {
                int count = _phcs[i].Read(readings);
                Sample(i, readings.AsSpan(0, count));
            }

            _stop.Wait(PollInterval);
        }
    }

    private static NicTimestampingResult Enable(string name)
    {
        try
        {
            return NicTimestamping.Enable(name);
        }
        catch (NativeSocketException e)
        {
            // No socket for the ioctls (descriptor limit): as unavailable as a NIC without the feature.
            return new NicTimestampingResult(name, NicTimestampingOutcome.NoTimestampingInfo, e.Errno, null, null, null);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join(TimeSpan.FromSeconds(5));
        foreach (PtpHardwareClock phc in _phcs) phc.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Enabled {What}")]
    private static partial void LogEnabled(ILogger logger, string what);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "No hardware timestamping: {Why}; software timestamps are used there")]
    private static partial void LogCannot(ILogger logger, string why);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "No hardware timestamping on {Interface}: cannot open {Device} ({Errno}); software timestamps are used there")]
    private static partial void LogCannotOpen(ILogger logger, string device, string @interface, Errno errno);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Tracking PHC {Device}: PHC - system {Offset}, PHC frequency {FrequencyPpm:F3} ppm (read with {Method})")]
    private static partial void LogTracked(ILogger logger, string device, string offset, double frequencyPpm, PhcReadMethod method);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "PHC {Device} not tracked (unreadable, or a clock stepped): hardware stamps fall back to software until it is tracked again")]
    private static partial void LogLost(ILogger logger, string device);
}
