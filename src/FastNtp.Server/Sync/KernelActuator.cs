using System.ComponentModel;
using FastNtp.Protocol.Server;
using FastNtp.Protocol.Sync;
using FastNtp.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Sync;

/// <summary>
/// Clock control kernel: carries out the discipline's actions (step, frequency) on the kernel clock and hands
/// the kernel our error bounds for its other readers. A failed call after start-up is logged, never thrown:
/// the server keeps serving, and its snapshot stays honest about the measured offset.
/// </summary>
internal sealed partial class KernelActuator(IKernelClock kernel, double panicThreshold, ILogger logger)
{
    /// <summary>
    /// Reads the kernel's frequency and writes the same value back: that changes nothing, and fails now rather
    /// than at the first correction when the process lacks CAP_SYS_TIME.
    /// </summary>
    /// <returns>The frequency, ppm, the discipline starts from.</returns>
    public double ProbeFrequency()
    {
        double frequency = kernel.Read().FrequencyPpm;
        try
        {
            kernel.SetFrequency(frequency);
        }
        catch (Win32Exception e)
        {
            throw new ConfigurationException($"Clock:Control: kernel needs CAP_SYS_TIME to adjust the clock ({e.Message})");
        }

        return frequency;
    }

    public void Apply(in DisciplineAction action)
    {
        try
        {
            switch (action.Kind)
            {
                case DisciplineKind.Step:
                    LogStep(logger, Readable.Seconds(action.Step.TotalSeconds));
                    kernel.Step(action.Step);
                    break;
                case DisciplineKind.Frequency:
                    kernel.SetFrequency(action.FrequencyPpm);
                    break;
                case DisciplineKind.Panic:
                    LogPanic(logger, Readable.Seconds(action.Step.TotalSeconds), Readable.Seconds(panicThreshold));
                    break;
            }
        }
        catch (Win32Exception e)
        {
            LogKernelFailed(logger, e.Message);
        }
    }

    /// <summary>Publishes the advertised state to the kernel: synchronized or not, maximum and estimated error.</summary>
    public void SetStatus(ServerSnapshot snapshot, double offset)
    {
        double maxError = snapshot.RootDelay.TotalSeconds / 2 + snapshot.RootDispersion.TotalSeconds;
        try
        {
            kernel.SetStatus(snapshot.IsSynchronized, maxError, Math.Abs(offset));
        }
        catch (Win32Exception e)
        {
            LogKernelFailed(logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Stepping the system clock by {Step} (start-up offset above the step threshold)")]
    private static partial void LogStep(ILogger logger, string step);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Error, Message = "Offset {Offset} is beyond the panic threshold {Threshold}; not touching the clock")]
    private static partial void LogPanic(ILogger logger, string offset, string threshold);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Error, Message = "The kernel clock call failed: {Reason}")]
    private static partial void LogKernelFailed(ILogger logger, string reason);
}
