using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace FastNtp.LoadTest.Tests;

public class ResultWriterTests
{
    private static RunResult Sample(string label = "chrony 4.3") => new(
        new RunInfo(label, "127.0.0.1:12300", 64, 1, "AMD EPYC, 2 CPUs", new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero), "fastntp-load --rate 1000"),
        [
            new StepResult(0, 10_000, 5, 50_000, 0, 50_000, 0, 0, 0, 0, 20_000, 80_000, 150_000, 400_000, ""),
            new StepResult(1, 100_000, 5, 500_000, 12, 400_000, 3, 2, 1, 5, 30_000, 900_000, 1_500_000, 2_000_000, "BadMode=2"),
        ]);

    [Fact]
    public void StepResult_DerivesRatesAndLoss()
    {
        StepResult s = Sample().Steps[1];
        Assert.Equal(100_000, s.SentRate);
        Assert.Equal(80_000, s.AnsweredRate);
        Assert.Equal(20.0, s.LossPercent, 9);
    }

    [Fact]
    public void BestAnsweredRate_OnlyCountsStepsUnderTheLossLimit()
    {
        Assert.Equal(10_000, StepResult.BestStep(Sample().Steps, 1.0)?.AnsweredRate);
        Assert.Equal(80_000, StepResult.BestStep(Sample().Steps, 25.0)?.AnsweredRate);
        Assert.Null(StepResult.BestStep([], 1.0));
    }

    [Fact]
    public void StepStats_SumAcrossThreads()
    {
        var a = new StepStats { Sent = 10, Replies = 8, Invalid = 1 };
        a.InvalidByVerdict[(int)ReplyVerdict.BadMode] = 1;
        a.Latency.Record(1000);
        var b = new StepStats { Sent = 5, Replies = 5, Late = 2 };
        b.InvalidByVerdict[StepStats.UnknownOriginIndex] = 3;
        b.Latency.Record(3000);
        var total = new StepStats();
        total.Add(a);
        total.Add(b);
        var r = StepResult.From(new LoadStep(0, 15, TimeSpan.FromSeconds(1)), total);
        Assert.Equal(15, r.Sent);
        Assert.Equal(13, r.Replies);
        Assert.Equal(2, r.Late);
        Assert.Equal("BadMode=1, UnknownOrigin=3", r.InvalidReasons);
        Assert.InRange(r.P50Nanoseconds, 1000, 1000 * 65 / 64);
        Assert.Equal(3000, r.MaxNanoseconds);
    }

    [Fact]
    public void Json_RoundTrips()
    {
        RunResult run = Sample();
        RunResult back = ResultWriters.FromJson(ResultWriters.ToJson(run));
        Assert.Equal(run.Info, back.Info);
        Assert.Equal(run.Steps, back.Steps);
    }

    private static RunResult WithCpu() => new(
        Sample().Info with { Mode = "nts AesSivCmac256, 0 placeholders", ServerPid = 4242 },
        [
            new StepResult(0, 10_000, 3, 30_000, 0, 30_000, 0, 0, 0, 0, 20_000, 80_000, 150_000, 400_000, "", 0.75, 1.5, 3.3),
            new StepResult(1, 20_000, 3, 60_000, 0, 59_000, 0, 1_000, 0, 0, 20_000, 80_000, 150_000, 400_000, "NtsAuthenticationFailed=1000", null, 2, 3.3),
        ]);

    [Fact]
    public void Json_RoundTripsModePidAndCpuFigures()
    {
        RunResult run = WithCpu();
        string json = ResultWriters.ToJson(run);
        RunResult back = ResultWriters.FromJson(json);
        Assert.Equal(run.Info, back.Info);
        Assert.Equal(run.Steps, back.Steps);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        // Best step under 1 % loss is step 0: 30,000 replies for 0.75 CPU-seconds.
        Assert.Equal(40_000, doc.RootElement.GetProperty("best_step_requests_per_server_cpu_s").GetDouble());
        Assert.Equal(22.7, doc.RootElement.GetProperty("best_step_server_cpu_pct").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("steps")[1].GetProperty("server_cpu_s").ValueKind);
    }

    [Fact]
    public void JsonWithoutCpuFields_StillReads()
    {
        string json = ResultWriters.ToJson(Sample());
        // A file from before the CPU and NTS fields: strip them and read it back.
        JsonObject node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("mode");
        node.Remove("server_pid");
        foreach (JsonNode? step in node["steps"]!.AsArray()) foreach (string f in new[] { "cpu_window_s", "server_cpu_s", "generator_cpu_s" }) step!.AsObject().Remove(f);
        RunResult back = ResultWriters.FromJson(node.ToJsonString());
        Assert.Equal("ntp", back.Info.Mode);
        Assert.Null(back.Info.ServerPid);
        Assert.Equal(Sample().Steps, back.Steps);
    }

    [Fact]
    public void Csv_CarriesCpuFiguresAndLeavesThemEmptyWithoutAPid()
    {
        string[] lines = ResultWriters.ToCsv(WithCpu()).TrimEnd('\n').Split('\n');
        // Without a user/kernel split (files of an older generator) those four columns stay empty, and without
        // --server-cpu the core columns after the send errors.
        Assert.EndsWith(",3.3,0.75,22.7,40000,45.5,,,,,0,,,0,0", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",3.3,,,,60.6,,,,,0,,,0,0", lines[2], StringComparison.Ordinal);
        Assert.Equal(lines[0].Split(',').Length, lines[1].Split(',').Length);
        Assert.EndsWith(",0,,,,,,,,,0,,,0,0", ResultWriters.ToCsv(Sample()).Split('\n')[1], StringComparison.Ordinal);
    }

    private static RunResult WithUserKernelSplit() => new(
        Sample().Info with { ServerPid = 4242 },
        [
            // 200,000 replies for 0.25 s user + 0.75 s kernel: 1,250 ns user and 3,750 ns kernel per request.
            new StepResult(0, 200_000, 1, 200_000, 0, 200_000, 0, 0, 0, 0, 20_000, 80_000, 150_000, 400_000, "", 1.0, 0.9, 1.3, 0.25, 0.75),
        ]);

    [Fact]
    public void UserAndKernelSplit_ReachesCsvAndJsonAndReadsBack()
    {
        RunResult run = WithUserKernelSplit();
        StepResult s = run.Steps[0];
        Assert.Equal(1250.0, s.ServerUserNanosecondsPerRequest!.Value, 6);
        Assert.Equal(3750.0, s.ServerKernelNanosecondsPerRequest!.Value, 6);

        string[] lines = ResultWriters.ToCsv(run).TrimEnd('\n').Split('\n');
        Assert.EndsWith(",server_user_cpu_s,server_system_cpu_s,server_user_ns_per_request,server_kernel_ns_per_request,send_errors,server_core_busy_pct,requests_per_server_core_s,sampled,verified", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",0.25,0.75,1250,3750,0,,,0,0", lines[1], StringComparison.Ordinal);

        string json = ResultWriters.ToJson(run);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(1250, doc.RootElement.GetProperty("best_step_server_user_ns_per_request").GetDouble());
        Assert.Equal(3750, doc.RootElement.GetProperty("best_step_server_kernel_ns_per_request").GetDouble());
        Assert.Equal(1250, doc.RootElement.GetProperty("steps")[0].GetProperty("server_user_ns_per_request").GetDouble());
        Assert.Equal(run.Steps, ResultWriters.FromJson(json).Steps);
    }

    [Fact]
    public void SinkSampleCounts_ReachCsvAndJsonAndReadBack()
    {
        RunResult run = WithUserKernelSplit();
        run = run with { Steps = [run.Steps[0] with { Sampled = 3_125, Verified = 3_124 }] };

        Assert.EndsWith(",3125,3124", ResultWriters.ToCsv(run).TrimEnd('\n').Split('\n')[1], StringComparison.Ordinal);
        Assert.Equal(run.Steps, ResultWriters.FromJson(ResultWriters.ToJson(run)).Steps);
    }

    [Fact]
    public void Json_RejectsOtherDocuments() =>
        Assert.Throws<FormatException>(() => ResultWriters.FromJson("{\"label\": 3}"));

    [Fact]
    public void Csv_HasAHeaderAndOneRowPerStep()
    {
        string[] lines = ResultWriters.ToCsv(Sample("a,b")).TrimEnd('\n').Split('\n');
        Assert.Equal(ResultWriters.CsvHeader, lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("\"a,b\",1,100000,5,500000,100000,400000,80000,20,2,3,1,5,12,30,900,1500,2000", lines[2], StringComparison.Ordinal);
        int columns = lines[0].Split(',').Length;
        Assert.Equal(columns + 1, lines[1].Split(',').Length); // the quoted label holds one comma
    }

    [Fact]
    public void Svg_IsWellFormedAndNamesEverySeries()
    {
        string svg = SvgChart.Render([Sample("reflector <C>"), Sample("chrony 4.3")], "rate & loss");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("reflector <C>", texts);
        Assert.Contains("chrony 4.3", texts);
        Assert.Contains("rate & loss", texts);
        // Two lines (answered, loss) per series plus the diagonal.
        Assert.Equal(5, doc.Descendants(ns + "polyline").Count());
    }

    [Fact]
    public void SvgWithoutSteps_Throws() =>
        Assert.Throws<ArgumentException>(() => SvgChart.Render([new RunResult(Sample().Info, [])], "empty"));

    [Theory]
    [InlineData(0.3, 0.5)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(3, 5)]
    [InlineData(730_000, 1_000_000)]
    [InlineData(120_000, 200_000)]
    public void NiceCeiling_RoundsUpToOneTwoOrFiveTimesAPowerOfTen(double value, double expected) => Assert.Equal(expected, SvgChart.NiceCeiling(value), 9);
}
