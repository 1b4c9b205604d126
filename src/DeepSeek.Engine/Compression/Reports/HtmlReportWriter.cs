using System.Text;
using DeepSeek.Engine.Verification;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>
/// Writes a compression report as one self-contained HTML page (docs/compress-report.md, "HTML report"): inline CSS and SVG,
/// no script and no address of anything outside the page, and a Content-Security-Policy that forbids both. Every text taken
/// from the model (paths, output, layer and operator names, diagnostics) is HTML-encoded: models are untrusted. Sections have
/// stable ids: <c>summary</c>, <c>sizes</c>, <c>outputs</c>, <c>sensitivity</c>, <c>pruning</c>, <c>attempts</c>, <c>timings</c>.
/// </summary>
public static class HtmlReportWriter
{
    /// <summary>The sections' ids, in page order.</summary>
    public static IReadOnlyList<string> SectionIds { get; } = ["summary", "sizes", "outputs", "sensitivity", "pruning", "attempts", "timings"];

    /// <summary>Writes <paramref name="report"/> as HTML (UTF-8) to <paramref name="stream"/>.</summary>
    /// <param name="report">The report.</param>
    /// <param name="sizes">The two models' stored tensors by operator and group; null: the sizes section says they were not measured.</param>
    /// <param name="stream">Where the page goes.</param>
    public static void Write(CompressionReport report, ReportSizes? sizes, Stream stream)
    {
        HtmlPage.WriteTo(Render(report, sizes), stream);
    }

    /// <summary>The page as a string.</summary>
    public static string Render(CompressionReport report, ReportSizes? sizes)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder(32 * 1024);
        HtmlPage.Open(html, "Compression report: " + Path.GetFileName(report.Input), "Compression report",
            $"{Encode(report.Input)} → {Encode(report.Output)}: <span class=\"recipe\">{Encode(report.Recipe)}</span> for {Encode(report.Profile)}", SectionIds);
        Summary(html, report);
        Sizes(html, report, sizes);
        HtmlOutputSection.Write(html, report);
        Sensitivity(html, report);
        HtmlPruningSection.Write(html, report);
        Attempts(html, report);
        Timings(html, report);
        HtmlPage.Close(html, "deepseek compress");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, CompressionReport r)
    {
        var e = r.Evaluation;
        html.Append("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"facts\">\n");
        HtmlPage.Row(html, "model", $"<span class=\"path\">{Encode(r.Input)}</span> → <span class=\"path\">{Encode(r.Output)}</span>");
        HtmlPage.Row(html, "size", $"<span id=\"bytes-before\">{Bytes(r.InputBytes)}</span> bytes → <span id=\"bytes-after\">{Bytes(r.OutputBytes)}</span> bytes "
            + $"(<span id=\"size-ratio\">{Percent(r.SizeRatio)}</span> of the original)");
        HtmlPage.Row(html, "profile", Encode(r.Profile));
        HtmlPage.Row(html, "recipe", $"<span class=\"recipe\" id=\"recipe\">{Encode(r.Recipe)}</span> (quantize {Encode(r.Quantize)})");
        var met = r.BudgetChecks.All(c => c.Met);
        HtmlPage.Row(html, "budget", $"<span class=\"{(r.BudgetChecks.Count == 0 ? "none" : met ? "met" : "missed")}\" id=\"budget\">{Encode(r.Budget ?? "none")}</span>"
            + (r.BudgetChecks.Count == 0 ? "" : $" ({r.BudgetChecks.Count(c => c.Met)} of {r.BudgetChecks.Count} checks met)"));
        if (e.RandomInputs)
        {
            HtmlPage.Row(html, "evidence", $"<p class=\"warning\" id=\"evidence-warning\">{e.Samples} samples ({e.Rows} rows) of {Encode(Evaluator.RandomEvidence)}</p>");
        }
        else
        {
            HtmlPage.Row(html, "evidence", $"<span id=\"evidence\">{e.Samples} samples ({e.Rows} rows) from <span class=\"path\">{Encode(e.Data)}</span></span>");
        }

        if (e.OriginalAccuracy is { } before && e.CompressedAccuracy is { } after)
        {
            HtmlPage.Row(html, "accuracy", $"{Percent(before, "0.00")} → {Percent(after, "0.00")} on the labels ({Number(e.AccuracyDrop ?? 0, "0.00")} points lost)");
        }

        foreach (var warning in r.Warnings)
        {
            HtmlPage.Row(html, "warning", $"<p class=\"warning\">{Encode(warning)}</p>");
        }

        foreach (var (key, value) in r.SessionOptions)
        {
            HtmlPage.Row(html, "session option", $"<code>{Encode(key)}={Encode(value)}</code> (the runtime sets it from the manifest)");
        }

        html.Append("</table>\n</section>\n");
    }

    private static void Sizes(StringBuilder html, CompressionReport r, ReportSizes? sizes)
    {
        html.Append("<section id=\"sizes\">\n<h2>Sizes</h2>\n");
        if (sizes is null)
        {
            html.Append("<p>The models' tensors were not measured for this report.</p>\n</section>\n");
            return;
        }

        var (before, after) = (sizes.Before, sizes.After);
        html.Append("<p>Stored tensors (initializers, external data, Constant nodes): ").Append(Bytes(before.Total)).Append(" bytes in ").Append(before.Tensors)
            .Append(" tensors before, ").Append(Bytes(after.Total)).Append(" bytes in ").Append(after.Tensors).Append(" after; the files are ")
            .Append(Bytes(r.InputBytes)).Append(" and ").Append(Bytes(r.OutputBytes))
            .Append(" bytes (the rest is the graph and metadata). A tensor read through DequantizeLinear, Cast, Reshape… counts for the operator it reaches.</p>\n");

        var operators = before.ByOperator.Keys.Union(after.ByOperator.Keys, StringComparer.Ordinal)
            .Select(op => new SvgCharts.Pair(op, before.ByOperator.GetValueOrDefault(op), after.ByOperator.GetValueOrDefault(op)))
            .OrderByDescending(p => Math.Max(p.First, p.Second)).ThenBy(p => p.Label, StringComparer.Ordinal).ToList();
        SizeTable(html, "by-operator", "operator", operators);
        html.Append(SvgCharts.PairedBars("Bytes by operator, before and after", operators, "before", "after", v => Bytes((long)v))).Append('\n');

        var groups = Enum.GetValues<TensorGroup>()
            .Select(g => new SvgCharts.Pair(ModelSizeBreakdown.Name(g), before.ByGroup.GetValueOrDefault(g), after.ByGroup.GetValueOrDefault(g)))
            .Where(p => p.First > 0 || p.Second > 0).ToList();
        SizeTable(html, "by-group", "tensor group", groups);
        html.Append(SvgCharts.PairedBars("Bytes by tensor group, before and after", groups, "before", "after", v => Bytes((long)v))).Append('\n');
        html.Append("</section>\n");
    }

    private static void SizeTable(StringBuilder html, string id, string what, IReadOnlyList<SvgCharts.Pair> rows)
    {
        html.Append("<table class=\"numbers\" id=\"").Append(id).Append("\">\n<thead><tr><th>").Append(what)
            .Append("</th><th>bytes before</th><th>bytes after</th><th>after / before</th></tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr><td>").Append(Encode(row.Label)).Append("</td><td>").Append(Bytes((long)row.First)).Append("</td><td>").Append(Bytes((long)row.Second))
                .Append("</td><td>").Append(row.First > 0 ? Percent(row.Second / row.First) : "new").Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void Sensitivity(StringBuilder html, CompressionReport r)
    {
        html.Append("<section id=\"sensitivity\">\n<h2>Per-layer sensitivity</h2>\n");
        if (r.Sensitivity.Count == 0)
        {
            html.Append("<p class=\"not-measured\">Not measured for this recipe")
                .Append(r.Recipe == "int8-static"
                    ? ": the all-int8 model met the fidelity target (cosine 0.99) at once, so no layer had to be ranked.</p>\n"
                    : $" ({Encode(r.Recipe)}): int8-static measures it when its all-int8 model falls short of cosine 0.99.</p>\n");
            html.Append("</section>\n");
            return;
        }

        html.Append("<p>Each layer's weights alone in int8 (fake-quantized in the float model), worst first; the most sensitive are kept in float until the model meets cosine 0.99.</p>\n")
            .Append("<table class=\"numbers\" id=\"sensitivity-table\">\n<thead><tr><th>layer</th><th>operator</th><th>cosine with only it in int8</th><th>loss (1 − cosine)</th><th>shipped in</th></tr></thead>\n<tbody>\n");
        foreach (var layer in r.Sensitivity)
        {
            html.Append("<tr><td>").Append(Encode(layer.Layer)).Append("</td><td>").Append(Encode(layer.OpType)).Append("</td><td>").Append(Number(layer.Cosine, "F6"))
                .Append("</td><td>").Append(Number(1 - layer.Cosine, "G3")).Append("</td><td>").Append(layer.KeptInFloat ? "<span class=\"float\">float</span>" : "int8").Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n")
            .Append(SvgCharts.Bars("Cosine lost with only this layer in int8", r.Sensitivity.Select(l => new SvgCharts.Bar(l.Layer, 1 - l.Cosine)).ToList(), v => Number(v, "G3")))
            .Append("\n</section>\n");
    }

    private static void Attempts(StringBuilder html, CompressionReport r)
    {
        html.Append("<section id=\"attempts\">\n<h2>Recipes tried</h2>\n<ol class=\"attempts\">\n");
        foreach (var attempt in r.Attempts)
        {
            var colon = attempt.IndexOf(": ", StringComparison.Ordinal);
            var (recipe, why) = colon > 0 ? (attempt[..colon], attempt[(colon + 2)..]) : (attempt, "");
            html.Append("<li class=\"rejected\"><span class=\"recipe\">").Append(Encode(recipe)).Append("</span> <span class=\"missed\">rejected</span>: <span class=\"reason\">")
                .Append(Encode(why)).Append("</span></li>\n");
        }

        html.Append("<li class=\"shipped\"><span class=\"recipe\">").Append(Encode(r.Recipe)).Append("</span> <span class=\"met\">shipped</span>")
            .Append(r.Attempts.Count == 0 ? " (the first recipe tried)" : "").Append("</li>\n</ol>\n")
            .Append("<table id=\"passes\">\n<thead><tr><th>pass</th><th>what it did</th><th>ms</th><th>counters</th></tr></thead>\n<tbody>\n");
        foreach (var pass in r.Passes)
        {
            html.Append("<tr><td>").Append(Encode(pass.Result.Pass)).Append("</td><td>").Append(Encode(pass.Result.Summary)).Append("</td><td class=\"n\">")
                .Append(Number(pass.Milliseconds, "F0")).Append("</td><td>")
                .Append(Encode(string.Join(", ", pass.Result.Counters.Select(c => $"{c.Key} {Bytes(c.Value)}")))).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Timings(StringBuilder html, CompressionReport r)
    {
        html.Append("<section id=\"timings\">\n<h2>Timings</h2>\n<table class=\"numbers\">\n<thead><tr><th>step</th><th>ms</th></tr></thead>\n<tbody>\n");
        foreach (var (key, value) in r.TimingsMs)
        {
            html.Append("<tr><td>").Append(Encode(key)).Append("</td><td>").Append(Number(value, "F1")).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
        var steps = r.TimingsMs.Where(t => !t.Key.StartsWith("latency", StringComparison.Ordinal)).Select(t => new SvgCharts.Bar(t.Key, t.Value)).ToList();
        html.Append(SvgCharts.Bars("Milliseconds per step", steps, v => Number(v, "F0") + " ms")).Append("\n</section>\n");
    }

}
