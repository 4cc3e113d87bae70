using FastNtp.Server.Timestamping;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Tests.Timestamping;

/// <summary>Start-up with interfaces that cannot stamp in hardware (all this machine has): one warning each, software stamps, no failure.</summary>
public class HardwareTimestampingTests
{
    [Fact]
    public void NoInterfaces_DoesNothing()
    {
        var log = new RecordingLogger();
        using var service = HardwareTimestamping.Start([], log);

        Assert.False(service.Clocks.Any);
        Assert.Empty(service.Interfaces);
        Assert.Empty(log.Entries);
    }

    [Fact]
    public void InterfacesThatCannot_GetOneWarningEachAndSoftwareStamps()
    {
        var log = new RecordingLogger();
        using var service = HardwareTimestamping.Start(["lo", "fntp-absent0", "lo"], log);

        Assert.False(service.Clocks.Any);
        Assert.Equal(["lo", "fntp-absent0"], service.Interfaces.Select(i => i.Interface));
        Assert.All(log.Entries, e => Assert.Equal((LogLevel.Warning, 3102), (e.Level, e.EventId)));
        Assert.Equal(
            [
                "No hardware timestamping: lo: the NIC cannot stamp in hardware (capabilities TxSoftware, RxSoftware, Software; needs RxHardware, TxHardware, RawHardware, tx on and rx filter all or ntp-all); software timestamps are used there",
                "No hardware timestamping: fntp-absent0: no such interface; software timestamps are used there",
            ],
            log.Entries.Select(e => e.Message));
    }

    [Fact]
    public void Status_ShowsEachInterfaceInactiveWithItsReason()
    {
        using var service = HardwareTimestamping.Start(["fntp-absent0"], new RecordingLogger());

        HwTimestampStatus status = Assert.Single(service.Status());
        Assert.Equal(new HwTimestampStatus("fntp-absent0", false, "fntp-absent0: no such interface", null, null), status);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, int EventId, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
    }
}
