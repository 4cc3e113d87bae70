using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FastNtp.LoadTest;

/// <summary>Who ran what, stored with the figures so a result file explains itself.</summary>
internal sealed record RunInfo(string Label, string Target, int Clients, int Threads, string Machine, DateTimeOffset Started, string CommandLine);

/// <summary>A finished run as written to and read back from JSON.</summary>
internal sealed record RunResult(RunInfo Info, IReadOnlyList<StepResult> Steps);

/// <summary>CSV and JSON forms of a run. Invariant culture throughout: the files are for tools.</summary>
internal static class ResultWriters
{
    public const string CsvHeader =
        "label,step,offered_rate,duration_s,sent,sent_rate,replies,answered_rate,loss_pct,invalid,kod,duplicates,late,skipped,p50_us,p99_us,p999_us,max_us";

    public static string ToCsv(RunResult run)
    {
        var sb = new StringBuilder();
        sb.Append(CsvHeader).Append('\n');
        foreach (StepResult s in run.Steps)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{CsvField(run.Info.Label)},{s.Index},{s.OfferedRate:0.###},{s.DurationSeconds:0.###},{s.Sent},{s.SentRate:0.#},{s.Replies},{s.AnsweredRate:0.#},{s.LossPercent:0.####},{s.Invalid},{s.KissOfDeath},{s.Duplicates},{s.Late},{s.Skipped},{Micro(s.P50Nanoseconds)},{Micro(s.P99Nanoseconds)},{Micro(s.P999Nanoseconds)},{Micro(s.MaxNanoseconds)}");
            sb.Append('\n');
        }

        return sb.ToString();
    }

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
            w.WriteNumber("best_answered_rate_under_1pct_loss", Math.Round(StepResult.BestAnsweredRate(run.Steps, 1.0), 1));
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
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads back what <see cref="ToJson"/> wrote; throws <see cref="FormatException"/> on anything else.</summary>
    public static RunResult FromJson(string json)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            var info = new RunInfo(
                root.GetProperty("label").GetString() ?? "",
                root.GetProperty("target").GetString() ?? "",
                root.GetProperty("clients").GetInt32(),
                root.GetProperty("threads").GetInt32(),
                root.GetProperty("machine").GetString() ?? "",
                root.GetProperty("started").GetDateTimeOffset(),
                root.GetProperty("command").GetString() ?? "");
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
                    s.GetProperty("invalid_reasons").GetString() ?? ""));
            }

            return new RunResult(info, steps);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Not a fastntp-load result: {e.Message}", e);
        }
    }
}
