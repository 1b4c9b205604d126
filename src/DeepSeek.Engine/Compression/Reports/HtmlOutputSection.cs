using System.Text;
using DeepSeek.Engine.Verification;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The HTML report's <c>outputs</c> section: per output its kind and where that came from, every figure, and each
/// budget check with its value against its threshold.</summary>
internal static class HtmlOutputSection
{
    public static void Write(StringBuilder html, CompressionReport r)
    {
        html.Append("<section id=\"outputs\">\n<h2>Outputs</h2>\n<p>Compared with the original in ONNX Runtime on ").Append(r.Evaluation.Samples)
            .Append(" samples (").Append(r.Evaluation.Rows).Append(" rows) from ").Append(Encode(r.Evaluation.Data)).Append("; budget <span class=\"budget\">")
            .Append(Encode(r.Budget ?? "none")).Append("</span>.</p>\n");
        foreach (var o in r.Evaluation.Outputs)
        {
            html.Append("<article class=\"output\">\n<h3 class=\"output-name\">").Append(Encode(o.Output)).Append("</h3>\n<p>")
                .Append(Encode(o.ElementType)).Append(", kind <span class=\"kind\">").Append(OutputKinds.Name(o.Kind)).Append("</span>")
                .Append(o.KindSource.Length > 0 ? " (" + Encode(o.KindSource) + ")" : "").Append("</p>\n");
            Figures(html, o, r.Evaluation);
            Checks(html, r.BudgetChecks.Where(c => c.Output == o.Output).ToList(), r.Budget);
            html.Append("</article>\n");
        }

        html.Append("</section>\n");
    }

    private static void Figures(StringBuilder html, OutputMetrics o, EvaluationResult e)
    {
        html.Append("<table class=\"numbers figures\">\n<thead><tr><th>figure</th><th>value</th></tr></thead>\n<tbody>\n");
        void Add(string name, double? value, string format)
        {
            if (value is { } v)
            {
                html.Append("<tr><td>").Append(name).Append("</td><td>").Append(Number(v, format)).Append("</td></tr>\n");
            }
        }

        Add("cosine mean", o.MeanCosine, "F6");
        Add("cosine min", o.MinCosine, "F6");
        Add("max absolute error", o.MaxAbsoluteError, "G4");
        Add("max relative error", o.MaxRelativeError, "G4");
        Add("top-1 agreement", o.Top1Agreement, "P2");
        Add("equal elements", o.ExactAgreement, "P2");
        foreach (var figure in KindFigures.Of(o))
        {
            Add(figure.Label, figure.Value, figure.Format);
        }

        if (e.LabelledOutput == o.Output)
        {
            Add("accuracy, original", e.OriginalAccuracy, "P2");
            Add("accuracy, compressed", e.CompressedAccuracy, "P2");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void Checks(StringBuilder html, List<BudgetCheck> checks, string? budget)
    {
        if (checks.Count == 0)
        {
            html.Append("<p class=\"none\">No check: ").Append(Encode(budget ?? "no budget")).Append(".</p>\n");
            return;
        }

        html.Append("<table class=\"checks\">\n<thead><tr><th>check</th><th>value</th><th>bound</th><th>threshold</th><th>result</th><th>value against threshold</th></tr></thead>\n<tbody>\n");
        foreach (var check in checks)
        {
            var result = check.Met ? "met" : "missed";
            html.Append("<tr class=\"check check-").Append(result).Append("\" data-metric=\"").Append(Encode(check.Metric)).Append("\"><td>").Append(Encode(BudgetCheck.Label(check.Metric)))
                .Append("</td><td class=\"value\">").Append(Number(check.Value, "0.######")).Append("</td><td>").Append(check.AtLeast ? "≥" : "≤")
                .Append("</td><td class=\"threshold\">").Append(Number(check.Threshold, "0.####")).Append("</td><td><span class=\"").Append(result).Append("\">").Append(result)
                .Append("</span></td><td>").Append(SvgCharts.Check(check)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }
}
