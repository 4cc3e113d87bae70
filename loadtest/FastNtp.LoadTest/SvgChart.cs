using System.Globalization;
using System.Net;
using System.Text;

namespace FastNtp.LoadTest;

/// <summary>
/// A self-contained SVG of one or more runs: answered rate against offered rate (top, with the
/// "every request answered" diagonal) and loss against offered rate (bottom). Offered rate is on a
/// log axis because stepped schedules are geometric.
/// </summary>
internal static class SvgChart
{
    private const int Width = 760;
    private const int PanelHeight = 260;
    private const int Left = 80;
    private const int Right = 170;
    private const int Top = 40;
    private const int Gap = 60;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"];

    public static string Render(IReadOnlyList<RunResult> runs, string title)
    {
        double minRate = double.MaxValue, maxRate = 0, maxAnswered = 0;
        foreach (RunResult run in runs)
        {
            foreach (StepResult s in run.Steps)
            {
                minRate = Math.Min(minRate, s.OfferedRate);
                maxRate = Math.Max(maxRate, s.OfferedRate);
                maxAnswered = Math.Max(maxAnswered, s.AnsweredRate);
            }
        }

        if (maxRate <= 0) throw new ArgumentException("There are no steps to draw.", nameof(runs));
        double xMin = Math.Pow(10, Math.Floor(Math.Log10(minRate)));
        double xMax = Math.Pow(10, Math.Ceiling(Math.Log10(maxRate)));
        if (xMax <= xMin) xMax = xMin * 10;
        double yMax = NiceCeiling(Math.Max(maxAnswered, maxRate));
        int plotWidth = Width - Left - Right;
        int height = Top + PanelHeight * 2 + Gap + 50;

        double X(double rate) => Left + (Math.Log10(rate) - Math.Log10(xMin)) / (Math.Log10(xMax) - Math.Log10(xMin)) * plotWidth;
        double YRate(double rate) => Top + PanelHeight - rate / yMax * PanelHeight;
        int lossTop = Top + PanelHeight + Gap;
        double YLoss(double loss) => lossTop + PanelHeight - Math.Clamp(loss, 0, 100) / 100 * PanelHeight;

        var sb = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        sb.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(c, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(c, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");

        // Axes, grid and labels for both panels.
        foreach ((int top, string label) in new[] { (Top, "answered requests/s"), (lossTop, "loss %") })
        {
            sb.Append(c, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#444\"/>\n");
            sb.Append(c, $"<text transform=\"translate(18,{top + PanelHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{label}</text>\n");
            for (double d = xMin; d <= xMax * 1.0001; d *= 10)
            {
                double x = X(d);
                sb.Append(c, $"<line x1=\"{x:0.#}\" y1=\"{top}\" x2=\"{x:0.#}\" y2=\"{top + PanelHeight}\" stroke=\"#ddd\"/>\n");
                sb.Append(c, $"<text x=\"{x:0.#}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">{FormatRate(d)}</text>\n");
            }
        }

        for (int i = 0; i <= 4; i++)
        {
            double v = yMax * i / 4;
            double y = YRate(v);
            sb.Append(c, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>\n");
            sb.Append(c, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{FormatRate(v)}</text>\n");
            double loss = 25.0 * i;
            double yl = YLoss(loss);
            sb.Append(c, $"<line x1=\"{Left}\" y1=\"{yl:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{yl:0.#}\" stroke=\"#eee\"/>\n");
            sb.Append(c, $"<text x=\"{Left - 6}\" y=\"{yl + 4:0.#}\" text-anchor=\"end\">{loss:0}</text>\n");
        }

        sb.Append(c, $"<text x=\"{Left + plotWidth / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">offered requests/s (log scale)</text>\n");

        // The diagonal: what a server that answers everything would reach.
        sb.Append(c, $"<polyline fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 4\" points=\"{Points(xMin, Math.Min(xMax, yMax), X, YRate)}\"/>\n");

        for (int r = 0; r < runs.Count; r++)
        {
            string color = Colors[r % Colors.Length];
            var answered = new StringBuilder();
            var lossLine = new StringBuilder();
            foreach (StepResult s in runs[r].Steps)
            {
                answered.Append(c, $"{X(s.OfferedRate):0.#},{YRate(s.AnsweredRate):0.#} ");
                lossLine.Append(c, $"{X(s.OfferedRate):0.#},{YLoss(s.LossPercent):0.#} ");
            }

            sb.Append(c, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{answered.ToString().TrimEnd()}\"/>\n");
            sb.Append(c, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{lossLine.ToString().TrimEnd()}\"/>\n");
            foreach (StepResult s in runs[r].Steps)
            {
                sb.Append(c, $"<circle cx=\"{X(s.OfferedRate):0.#}\" cy=\"{YRate(s.AnsweredRate):0.#}\" r=\"3\" fill=\"{color}\"/>\n");
                sb.Append(c, $"<circle cx=\"{X(s.OfferedRate):0.#}\" cy=\"{YLoss(s.LossPercent):0.#}\" r=\"3\" fill=\"{color}\"/>\n");
            }

            int ly = Top + 10 + r * 20;
            sb.Append(c, $"<rect x=\"{Width - Right + 15}\" y=\"{ly}\" width=\"14\" height=\"4\" fill=\"{color}\"/>\n");
            sb.Append(c, $"<text x=\"{Width - Right + 35}\" y=\"{ly + 6}\">{Escape(runs[r].Info.Label)}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Points(double from, double to, Func<double, double> x, Func<double, double> y)
    {
        var sb = new StringBuilder();
        for (int i = 0; i <= 40; i++)
        {
            double v = from * Math.Pow(to / from, i / 40.0);
            sb.Append(CultureInfo.InvariantCulture, $"{x(v):0.#},{y(v):0.#} ");
        }

        return sb.ToString().TrimEnd();
    }

    /// <summary>1, 2 or 5 times a power of ten at or above <paramref name="value"/>.</summary>
    public static double NiceCeiling(double value)
    {
        if (value <= 0) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double m in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (m * p >= value * (1 - 1e-12)) return m * p;
        return 10 * p;
    }

    public static string FormatRate(double rate) => rate switch
    {
        >= 1_000_000 => (rate / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (rate / 1_000).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => rate.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
