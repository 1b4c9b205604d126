using System.Text;
using DeepSeek.Engine.Verification;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>
/// <c>deepseek recommend --report x.html</c>: the recommendation's table with plots, one self-contained page like the
/// compression report (<see cref="HtmlPage"/>: no script, nothing loaded, every model string encoded). Sections:
/// <c>summary</c> (model, profile, budget, evidence, the recommendation and its <c>DeepSeekModel</c> line), <c>candidates</c>
/// (one row per recipe: size, ratio, speed, kept or missed, each check), <c>plots</c> (size and, when measured, speed per
/// recipe; each check against its threshold).
/// </summary>
public static class RecommendationHtmlWriter
{
    /// <summary>The sections' ids, in page order.</summary>
    public static IReadOnlyList<string> SectionIds { get; } = ["summary", "candidates", "plots"];

    /// <summary>Writes the page (UTF-8) to <paramref name="stream"/>.</summary>
    public static void Write(Recommendation recommendation, Stream stream) => HtmlPage.WriteTo(Render(recommendation), stream);

    /// <summary>The page as a string.</summary>
    public static string Render(Recommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        var r = recommendation;
        var html = new StringBuilder(16 * 1024);
        HtmlPage.Open(html, "Recommendation: " + Path.GetFileName(r.Input), "Recommendation",
            $"{Encode(r.Input)} for {Encode(r.Profile)}: <span class=\"recipe\" id=\"chosen\">{Encode(r.Chosen)}</span>", SectionIds);

        html.Append("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"facts\">\n");
        HtmlPage.Row(html, "model", $"<span class=\"path\">{Encode(r.Input)}</span> ({Bytes(r.InputBytes)} bytes)");
        HtmlPage.Row(html, "profile", Encode(r.Profile));
        HtmlPage.Row(html, "budget", Encode(r.Budget.Name));
        HtmlPage.Row(html, "evidence", r.CalibrationFolder is { } folder
            ? $"<span class=\"path\">{Encode(folder)}</span>"
            : $"<p class=\"warning\" id=\"evidence-warning\">{Encode(Evaluator.RandomEvidence)}</p>");
        HtmlPage.Row(html, "speed", r.SpeedMeasured ? "median of 7 single-thread runs against the original, here"
            : $"<span class=\"not-measured\">not measured: this machine is not a {Encode(r.Profile)} machine</span>");
        HtmlPage.Row(html, "recommended", r.Chosen == "none"
            ? "<span class=\"missed\">none</span>: no recipe keeps the budget without running slower than the original"
            : $"<span class=\"met\">{Encode(r.Chosen)}</span>, the smallest that keeps the budget and is not slower");
        HtmlPage.Row(html, "item", $"<code id=\"item\">{Encode(r.ItemLine)}</code>");
        html.Append("</table>\n</section>\n");

        html.Append("<section id=\"candidates\">\n<h2>Candidates</h2>\n<table>\n<thead><tr><th>recipe</th><th>bytes</th><th>of the original</th>")
            .Append("<th>speed</th><th>budget</th><th>checks</th></tr></thead>\n<tbody>\n");
        foreach (var c in r.Candidates)
        {
            var status = c.Report is null ? "failed" : c.Kept ? c.Slower ? "slower" : "kept" : "missed";
            html.Append("<tr class=\"candidate\" data-recipe=\"").Append(Encode(c.Recipe)).Append("\"><td class=\"recipe\">").Append(Encode(c.Recipe)).Append("</td>");
            if (c.Report is not { } report)
            {
                html.Append("<td></td><td></td><td></td><td><span class=\"missed\">failed</span></td><td>").Append(Encode(c.Failure)).Append("</td></tr>\n");
                continue;
            }

            html.Append("<td class=\"n\">").Append(Bytes(report.OutputBytes)).Append("</td><td class=\"n\">").Append(Percent(report.SizeRatio))
                .Append("</td><td class=\"n\">").Append(c.Speedup is { } s ? Number(s, "0.00") + "x" : "—").Append("</td><td><span class=\"")
                .Append(status is "kept" ? "met" : "missed").Append("\">").Append(status).Append("</span></td><td>")
                .Append(Encode(string.Join("; ", c.Checks.Select(k => $"{k.Output} {BudgetCheck.Label(k.Metric)} {Number(k.Value, "0.####")} {(k.AtLeast ? "≥" : "≤")} {Number(k.Threshold, "0.####")}{(k.Met ? "" : " missed")}"))))
                .Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");

        var measured = r.Candidates.Where(c => c.Report is not null).ToList();
        html.Append("<section id=\"plots\">\n<h2>Plots</h2>\n")
            .Append(SvgCharts.Bars("Bytes per recipe (the original first)", [new("original", r.InputBytes), .. measured.Select(c => new SvgCharts.Bar(c.Recipe, c.Report!.OutputBytes))], v => Bytes((long)v)));
        if (r.SpeedMeasured)
        {
            html.Append(SvgCharts.Bars("Speed against the original (1 = as fast)", measured.Select(c => new SvgCharts.Bar(c.Recipe, c.Speedup ?? 0)).ToList(), v => Number(v, "0.00") + "x"));
        }

        foreach (var c in measured)
        {
            html.Append("<h3>").Append(Encode(c.Recipe)).Append("</h3>\n");
            foreach (var check in c.Checks)
            {
                html.Append("<p>").Append(Encode(check.Output)).Append(": ").Append(Encode(BudgetCheck.Label(check.Metric))).Append("</p>").Append(SvgCharts.Check(check)).Append('\n');
            }
        }

        html.Append("</section>\n");
        HtmlPage.Close(html, "deepseek recommend");
        return html.ToString();
    }
}
