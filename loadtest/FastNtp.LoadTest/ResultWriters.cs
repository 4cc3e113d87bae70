using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FastNtp.LoadTest;

/// <summary>Who ran what, stored with the figures so a result file explains itself.</summary>
/// <param name="Mode">"ntp", or "nts" with the AEAD and placeholder count, e.g. "nts AesSivCmac256, 0 placeholders".</param>
/// <param name="ServerPid">The process whose CPU time was sampled (<c>--server-pid</c>), if any.</param>
internal sealed record RunInfo(string Label, string Target, int Clients, int Threads, string Machine, DateTimeOffset Started, string CommandLine,
    string Mode = "ntp", int? ServerPid = null);

/// <summary>A finished run as written to and read back from JSON.</summary>
internal sealed record RunResult(RunInfo Info, IReadOnlyList<StepResult> Steps);

/// <summary>CSV and JSON forms of a run. Invariant culture throughout: the files are for tools.</summary>
internal static class ResultWriters
{
    public const string CsvHeader =
        "label,step,offered_rate,duration_s,sent,sent_rate,replies,answered_rate,loss_pct,invalid,kod,duplicates,late,skipped,p50_us,p99_us,p999_us,max_us,cpu_window_s,server_cpu_s,server_cpu_pct,requests_per_server_cpu_s,generator_cpu_pct,server_user_cpu_s,server_system_cpu_s,server_user_ns_per_request,server_kernel_ns_per_request,send_errors,server_core_busy_pct,requests_per_server_core_s,sampled,verified";

    public static string ToCsv(RunResult run)
    {
        var sb = new StringBuilder();
        sb.Append(CsvHeader).Append('\n');
        foreach (StepResult s in run.Steps)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{CsvField(run.Info.Label)},{s.Index},{s.OfferedRate:0.###},{s.DurationSeconds:0.###},{s.Sent},{s.SentRate:0.#},{s.Replies},{s.AnsweredRate:0.#},{s.LossPercent:0.####},{s.Invalid},{s.KissOfDeath},{s.Duplicates},{s.Late},{s.Skipped},{Micro(s.P50Nanoseconds)},{Micro(s.P99Nanoseconds)},{Micro(s.P999Nanoseconds)},{Micro(s.MaxNanoseconds)},{s.CpuWindowSeconds:0.###},{Optional(s.ServerCpuSeconds, "0.##")},{Optional(s.ServerCpuPercent, "0.#")},{Optional(s.RequestsPerServerCpuSecond, "0")},{Optional(s.GeneratorCpuPercent, "0.#")},{Optional(s.ServerUserCpuSeconds, "0.##")},{Optional(s.ServerSystemCpuSeconds, "0.##")},{Optional(s.ServerUserNanosecondsPerRequest, "0")},{Optional(s.ServerKernelNanosecondsPerRequest, "0")},{s.SendErrors},{Optional(s.ServerCoreBusyPercent, "0.#")},{Optional(s.RequestsPerServerCoreSecond, "0")},{s.Sampled},{s.Verified}");
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Empty when there is no figure (no --server-pid, or the process was gone).</summary>
    private static string Optional(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";

    private static string Micro(long nanoseconds) => (nanoseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string ToJson(RunResult run)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("label", run.Info.Label);
            w.WriteString("target", run.Info.Target);
            w.WriteNumber("clients", run.Info.Clients);
            w.WriteNumber("threads", run.Info.Threads);
            w.WriteString("machine", run.Info.Machine);
            w.WriteString("started", run.Info.Started);
            w.WriteString("command", run.Info.CommandLine);
            w.WriteString("mode", run.Info.Mode);
            if (run.Info.ServerPid is { } pid) w.WriteNumber("server_pid", pid);
            else w.WriteNull("server_pid");
            var best = StepResult.BestStep(run.Steps, 1.0);
            w.WriteNumber("best_answered_rate_under_1pct_loss", Math.Round(best?.AnsweredRate ?? 0, 1));
            // The per-core figure at that step: answered requests per second of server CPU, and how busy the server was.
            WriteOptional(w, "best_step_requests_per_server_cpu_s", best?.RequestsPerServerCpuSecond, 0);
            WriteOptional(w, "best_step_server_cpu_pct", best?.ServerCpuPercent, 1);
            WriteOptional(w, "best_step_generator_cpu_pct", best?.GeneratorCpuPercent, 1);
            WriteOptional(w, "best_step_server_user_ns_per_request", best?.ServerUserNanosecondsPerRequest, 0);
            WriteOptional(w, "best_step_server_kernel_ns_per_request", best?.ServerKernelNanosecondsPerRequest, 0);
            WriteOptional(w, "best_step_requests_per_server_core_s", best?.RequestsPerServerCoreSecond, 0);
            w.WriteStartArray("steps");
            foreach (StepResult s in run.Steps)
            {
                w.WriteStartObject();
                w.WriteNumber("step", s.Index);
                w.WriteNumber("offered_rate", s.OfferedRate);
                w.WriteNumber("duration_s", s.DurationSeconds);
                w.WriteNumber("sent", s.Sent);
                w.WriteNumber("skipped", s.Skipped);
                w.WriteNumber("replies", s.Replies);
                w.WriteNumber("kod", s.KissOfDeath);
                w.WriteNumber("invalid", s.Invalid);
                w.WriteString("invalid_reasons", s.InvalidReasons);
                w.WriteNumber("duplicates", s.Duplicates);
                w.WriteNumber("late", s.Late);
                w.WriteNumber("answered_rate", Math.Round(s.AnsweredRate, 1));
                w.WriteNumber("loss_pct", Math.Round(s.LossPercent, 4));
                w.WriteNumber("p50_ns", s.P50Nanoseconds);
                w.WriteNumber("p99_ns", s.P99Nanoseconds);
                w.WriteNumber("p999_ns", s.P999Nanoseconds);
                w.WriteNumber("max_ns", s.MaxNanoseconds);
                w.WriteNumber("cpu_window_s", s.CpuWindowSeconds);
                WriteOptional(w, "server_cpu_s", s.ServerCpuSeconds, 2);
                WriteOptional(w, "generator_cpu_s", s.GeneratorCpuSeconds, 2);
                WriteOptional(w, "server_cpu_pct", s.ServerCpuPercent, 1);
                WriteOptional(w, "requests_per_server_cpu_s", s.RequestsPerServerCpuSecond, 0);
                WriteOptional(w, "generator_cpu_pct", s.GeneratorCpuPercent, 1);
                WriteOptional(w, "server_user_cpu_s", s.ServerUserCpuSeconds, 2);
                WriteOptional(w, "server_system_cpu_s", s.ServerSystemCpuSeconds, 2);
                WriteOptional(w, "server_user_ns_per_request", s.ServerUserNanosecondsPerRequest, 0);
                WriteOptional(w, "server_kernel_ns_per_request", s.ServerKernelNanosecondsPerRequest, 0);
                w.WriteNumber("send_errors", s.SendErrors);
                WriteOptional(w, "server_core_busy_s", s.ServerCoreBusySeconds, 2);
                WriteOptional(w, "server_core_busy_pct", s.ServerCoreBusyPercent, 1);
                WriteOptional(w, "requests_per_server_core_s", s.RequestsPerServerCoreSecond, 0);
                w.WriteNumber("sampled", s.Sampled);
                w.WriteNumber("verified", s.Verified);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value, int decimals)
    {
        if (value is { } v) w.WriteNumber(name, Math.Round(v, decimals));
        else w.WriteNull(name);
    }

    private static double? ReadOptional(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>Reads back what <see cref="ToJson"/> wrote; throws <see cref="FormatException"/> on anything else.</summary>
    public static RunResult FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            var info = new RunInfo(
                root.GetProperty("label").GetString() ?? "",
                root.GetProperty("target").GetString() ?? "",
                root.GetProperty("clients").GetInt32(),
                root.GetProperty("threads").GetInt32(),
                root.GetProperty("machine").GetString() ?? "",
                root.GetProperty("started").GetDateTimeOffset(),
                root.GetProperty("command").GetString() ?? "",
                // Files from before NTS mode and CPU accounting have neither field.
                root.TryGetProperty("mode", out JsonElement mode) ? mode.GetString() ?? "ntp" : "ntp",
                root.TryGetProperty("server_pid", out JsonElement pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : null);
            var steps = new List<StepResult>();
            foreach (JsonElement s in root.GetProperty("steps").EnumerateArray())
            {
                steps.Add(new StepResult(
                    s.GetProperty("step").GetInt32(),
                    s.GetProperty("offered_rate").GetDouble(),
                    s.GetProperty("duration_s").GetDouble(),
                    s.GetProperty("sent").GetInt64(),
                    s.GetProperty("skipped").GetInt64(),
                    s.GetProperty("replies").GetInt64(),
                    s.GetProperty("kod").GetInt64(),
                    s.GetProperty("invalid").GetInt64(),
                    s.GetProperty("duplicates").GetInt64(),
                    s.GetProperty("late").GetInt64(),
                    s.GetProperty("p50_ns").GetInt64(),
                    s.GetProperty("p99_ns").GetInt64(),
                    s.GetProperty("p999_ns").GetInt64(),
                    s.GetProperty("max_ns").GetInt64(),
                    s.GetProperty("invalid_reasons").GetString() ?? "",
                    ReadOptional(s, "server_cpu_s"),
                    ReadOptional(s, "generator_cpu_s"),
                    s.TryGetProperty("cpu_window_s", out JsonElement window) ? window.GetDouble() : 0,
                    // Files from before the user/kernel split have neither.
                    ReadOptional(s, "server_user_cpu_s"),
                    ReadOptional(s, "server_system_cpu_s"),
                    // Files from before raw-frame mode have neither.
                    s.TryGetProperty("send_errors", out JsonElement sendErrors) ? sendErrors.GetInt64() : 0,
                    ReadOptional(s, "server_core_busy_s"),
                    // Files from before the reply sink have neither.
                    s.TryGetProperty("sampled", out JsonElement sampled) ? sampled.GetInt64() : 0,
                    s.TryGetProperty("verified", out JsonElement verified) ? verified.GetInt64() : 0));
            }

            return new RunResult(info, steps);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Not a fastntp-load result: {e.Message}", e);
        }
    }
}
