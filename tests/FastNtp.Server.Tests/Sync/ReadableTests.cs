using System.Reflection;
using FastNtp.Server.Sync;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Tests.Sync;

/// <summary>Log lines a person reads: durations with units and sensible digits, and stable event ids.</summary>
public sealed class ReadableTests
{
    [Theory]
    [InlineData(0.007483030436560512, "+7.48 ms")]
    [InlineData(-0.0000123456, "-12.3 µs")]
    [InlineData(0.000000042, "+42.0 ns")]
    [InlineData(1.2041, "+1.20 s")]
    [InlineData(-1234.4, "-1234 s")]
    [InlineData(0.128, "+128 ms")]
    [InlineData(0, "0 s")]
    public void Seconds_ReadAsAPersonWritesThem(double seconds, string expected) => Assert.Equal(expected, Readable.Seconds(seconds));

    [Fact]
    public void EveryLogMessage_HasItsOwnExplicitEventId()
    {
        // Without one, the source generator hashes the method name into the id: it changes with a rename.
        var ids = new Dictionary<int, string>();
        foreach (Type type in typeof(ServerHost).Assembly.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<LoggerMessageAttribute>() is not { } message) continue;
                string name = $"{type.Name}.{method.Name}";
                Assert.True(message.EventId > 0, $"{name} has no explicit EventId");
                Assert.True(ids.TryAdd(message.EventId, name), $"{name} and {ids.GetValueOrDefault(message.EventId)} share EventId {message.EventId}");
            }
        }

        Assert.True(ids.Count >= 40, $"only {ids.Count} log messages found");
    }
}
