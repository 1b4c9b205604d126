using System.Text;
using DeepSeek.Engine.Verification;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The HTML report's plots, as inline SVG: horizontal bar charts and a budget check's value against its threshold.</summary>
internal static class SvgCharts
{
    private const int LabelWidth = 250;
    private const int BarArea = 470;
    private const int Width = LabelWidth + BarArea + 120;
    private const int LabelCharacters = 38;

    /// <summary>One labelled row of a paired chart: two values side by side.</summary>
    public sealed record Pair(string Label, double First, double Second);

    /// <summary>One labelled bar.</summary>
    public sealed record Bar(string Label, double Value);

    /// <summary>Two bars per row (say before and after) on one scale, with a legend; values are labelled by <paramref name="format"/>.</summary>
    public static string PairedBars(string title, IReadOnlyList<Pair> rows, string firstName, string secondName, Func<double, string> format)
    {
        const int rowHeight = 34;
        const int top = 26;
        var height = top + (rows.Count * rowHeight) + 4;
        var max = rows.Select(r => Math.Max(r.First, r.Second)).DefaultIfEmpty(0).Max();
        var svg = Open(title, Width, height);
        svg.Append("<rect class=\"legend first\" x=\"").Append(LabelWidth).Append("\" y=\"4\" width=\"12\" height=\"12\"/>")
           .Append("<text x=\"").Append(LabelWidth + 16).Append("\" y=\"14\">").Append(Encode(firstName)).Append("</text>")
           .Append("<rect class=\"legend second\" x=\"").Append(LabelWidth + 110).Append("\" y=\"4\" width=\"12\" height=\"12\"/>")
           .Append("<text x=\"").Append(LabelWidth + 126).Append("\" y=\"14\">").Append(Encode(secondName)).Append("</text>");
        for (var i = 0; i < rows.Count; i++)
        {
            var y = top + (i * rowHeight);
            var row = rows[i];
            Label(svg, row.Label, y + 16);
            BarRect(svg, "bar first", y + 2, row.First, max, format(row.First), row.Label + ", " + firstName);
            BarRect(svg, "bar second", y + 16, row.Second, max, format(row.Second), row.Label + ", " + secondName);
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>One bar per row on one scale.</summary>
    public static string Bars(string title, IReadOnlyList<Bar> rows, Func<double, string> format)
    {
        const int rowHeight = 22;
        var height = (rows.Count * rowHeight) + 6;
        var max = rows.Select(r => r.Value).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var svg = Open(title, Width, height);
        for (var i = 0; i < rows.Count; i++)
        {
            var y = 3 + (i * rowHeight);
            Label(svg, rows[i].Label, y + 12);
            BarRect(svg, "bar first", y + 2, rows[i].Value, max, format(rows[i].Value), rows[i].Label);
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>
    /// A check's value as a bar (green when met, red when missed) with its threshold as a line, on a scale that makes the
    /// distance between them visible: for shares and cosines that must be at least a bound, the scale ends at 1 and starts
    /// as far below the lower of the two as that is below 1.
    /// </summary>
    public static string Check(BudgetCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        const int width = 300;
        const int height = 34;
        var (low, high) = Scale(check.Value, check.Threshold, check.AtLeast);
        double X(double v) => Math.Clamp((v - low) / (high - low), 0, 1) * width;
        var label = $"{BudgetCheck.Label(check.Metric)} {Number(check.Value, "0.######")}, threshold {Number(check.Threshold, "0.####")}: {(check.Met ? "met" : "missed")}";
        var svg = Open(label, width + 20, height);
        svg.Append("<rect class=\"track\" x=\"0\" y=\"4\" width=\"").Append(width).Append("\" height=\"14\"/>");
        if (double.IsFinite(check.Value))
        {
            var from = X(Math.Max(low, 0)); // from the scale's start, or from 0 when the scale holds it
            var to = X(check.Value);
            svg.Append("<rect class=\"bar ").Append(check.Met ? "met" : "missed").Append("\" x=\"").Append(Coordinate(Math.Min(from, to)))
               .Append("\" y=\"4\" width=\"").Append(Coordinate(Math.Max(1, Math.Abs(to - from)))).Append("\" height=\"14\"/>");
        }

        var t = Coordinate(X(check.Threshold));
        svg.Append("<line class=\"threshold\" x1=\"").Append(t).Append("\" x2=\"").Append(t).Append("\" y1=\"0\" y2=\"22\"/>")
           .Append("<text class=\"tick\" x=\"0\" y=\"31\">").Append(Encode(Number(low, "0.####"))).Append("</text>")
           .Append("<text class=\"tick\" x=\"").Append(width).Append("\" y=\"31\" text-anchor=\"end\">").Append(Encode(Number(high, "0.####"))).Append("</text>");
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The scale of a check's plot (see <see cref="Check"/>).</summary>
    internal static (double Low, double High) Scale(double value, double threshold, bool atLeast)
    {
        var values = double.IsFinite(value) ? new[] { value, threshold } : [threshold];
        var min = values.Min();
        var max = values.Max();
        if (atLeast && min >= 0 && max <= 1)
        {
            return (Math.Max(0, min - Math.Max(1 - min, 0.001)), 1);
        }

        var low = Math.Min(0, min);
        var high = max > 0 ? max * 1.25 : 1;
        return (low, high);
    }

    private static StringBuilder Open(string title, int width, int height)
        => new StringBuilder().Append("<svg class=\"chart\" role=\"img\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\" aria-label=\"").Append(Encode(title)).Append("\"><title>")
            .Append(Encode(title)).Append("</title>");

    private static void Label(StringBuilder svg, string label, int y)
        => svg.Append("<text class=\"label\" x=\"").Append(LabelWidth - 6).Append("\" y=\"").Append(y).Append("\" text-anchor=\"end\">")
              .Append(EncodeCut(label, LabelCharacters)).Append("</text>");

    private static void BarRect(StringBuilder svg, string cssClass, int y, double value, double max, string text, string title)
    {
        var length = max > 0 && double.IsFinite(value) ? Math.Max(0, value) / max * BarArea : 0;
        svg.Append("<rect class=\"").Append(cssClass).Append("\" x=\"").Append(LabelWidth).Append("\" y=\"").Append(y).Append("\" width=\"")
           .Append(Coordinate(Math.Max(length, 1))).Append("\" height=\"12\"><title>").Append(Encode(title + ": " + text)).Append("</title></rect>")
           .Append("<text class=\"value\" x=\"").Append(Coordinate(LabelWidth + Math.Max(length, 1) + 4)).Append("\" y=\"").Append(y + 10).Append("\">")
           .Append(Encode(text)).Append("</text>");
    }
}
