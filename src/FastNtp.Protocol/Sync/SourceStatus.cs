using System.Text.Json.Serialization;

namespace FastNtp.Protocol.Sync;

/// <summary>One upstream source as `fastntp status` and the /status endpoint show it. Times are seconds.</summary>
/// <param name="Name">The name the operator configured (a pool name repeats for each of its addresses).</param>
/// <param name="Address">The address polled, ADDR:PORT.</param>
/// <param name="Reach">The reach register; <see cref="ReachOctal"/> is how ntpq and chronyc print it.</param>
/// <param name="Poll">The current poll exponent (interval 2^Poll s).</param>
/// <param name="Offset">Filtered offset: the source's time minus ours.</param>
public sealed record SourceStatus(
    string Name,
    string Address,
    bool Nts,
    byte Stratum,
    string ReferenceId,
    byte Reach,
    int Poll,
    double Offset,
    double Delay,
    double Jitter,
    double RootDistance,
    [property: JsonConverter(typeof(JsonStringEnumConverter<SourceState>))] SourceState State)
{
    public string ReachOctal => Convert.ToString(Reach, 8);
}
