using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastNtp.Commands;

/// <summary>One server's answer as `fastntp query --json` prints it.</summary>
internal sealed record QueryJson(
    string Server, bool Valid, string? Error, bool TimedOut, int? Stratum, string? ReferenceId, int? Leap, int? Version,
    double? OffsetSeconds, double? DelaySeconds, double? RootDelaySeconds, double? RootDispersionSeconds, int? Precision,
    string? KissCode);

/// <summary>An NTS-KE exchange as `fastntp nts-ke --json` prints it.</summary>
internal sealed record NtsKeJson(int Aead, string AeadName, string Server, int Port, string C2s, string S2c, string[] Cookies);

/// <summary>The commands' JSON output, generated at build time so the native (AOT) binary needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(QueryJson[]))]
[JsonSerializable(typeof(NtsKeJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
