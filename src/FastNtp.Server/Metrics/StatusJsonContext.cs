using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastNtp.Server.Metrics;

/// <summary>The /status document's JSON shape, generated at build time so the native (AOT) binary needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusReport))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
