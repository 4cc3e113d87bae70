using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastNtp.Server.Metrics;

/// <summary>The /status and /clients documents' JSON shapes, generated at build time so the native (AOT) binary needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(ClientLogReport))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
