using System.Text;
using DeepSeek.Engine.Pruning;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The HTML report's <c>pruning</c> section: what was asked, what the budget let through, each layer's units before and
/// after with its sensitivity, and every share that missed with what it measured.</summary>
internal static class HtmlPruningSection
{
    public static void Write(StringBuilder html, CompressionReport r)
    {
        html.Append("<section id=\"pruning\">\n<h2>Pruning</h2>\n");
        if (r.Pruning is not { } p)
        {
            html.Append("<p class=\"not-measured\">Not asked for (<code>Prune</code>, <code>Sparsity</code>).</p>\n</section>\n");
            return;
        }

        html.Append("<p>Asked: <span class=\"recipe\" id=\"pruning-requested\">").Append(Encode(p.Requested)).Append("</span>; shipped <span id=\"pruning-shipped\">")
            .Append(Percent(p.ShippedFraction)).Append("</span> of the prunable weights (").Append(Percent(p.ModelFraction)).Append(" of the model's)")
            .Append(p.ShippedFraction == 0 && p.Layers.Count > 0 ? ": nothing removed" : "").Append(".</p>\n");
        if (p.Tried.Count > 0)
        {
            html.Append("<p>Shares that missed the budget, largest first:</p>\n<ul class=\"attempts\" id=\"pruning-tried\">\n");
            foreach (var tried in p.Tried)
            {
                html.Append("<li class=\"rejected\">").Append(Encode(tried)).Append("</li>\n");
            }

            html.Append("</ul>\n");
        }

        if (p.Layers.Count == 0)
        {
            html.Append("<p>No layer's units could be removed without changing others.</p>\n</section>\n");
            return;
        }

        html.Append("<table class=\"numbers\" id=\"pruning-layers\">\n<thead><tr><th>layer</th><th>kind</th><th>before</th><th>after</th><th>removed</th><th>sensitivity (1 − cosine)</th></tr></thead>\n<tbody>\n");
        foreach (var layer in p.Layers)
        {
            html.Append("<tr><td>").Append(Encode(layer.Layer)).Append("</td><td>").Append(Encode(layer.Kind)).Append("</td><td>").Append(Bytes(layer.Before))
                .Append("</td><td>").Append(Bytes(layer.After)).Append("</td><td>").Append(Percent(layer.Removed)).Append("</td><td>")
                .Append(layer.Sensitivity > 0 ? Number(layer.Sensitivity, "G3") : "not measured").Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n")
            .Append(SvgCharts.Bars("Share of each layer removed", p.Layers.Select(l => new SvgCharts.Bar(l.Layer, l.Removed)).ToList(), v => Percent(v)))
            .Append("\n</section>\n");
    }
}
