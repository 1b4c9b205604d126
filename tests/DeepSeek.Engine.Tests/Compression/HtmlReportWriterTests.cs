using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Compression.Reports;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Verification;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>The HTML report on reports built here: what each section shows, and that nothing from the model is markup.</summary>
public sealed partial class HtmlReportWriterTests
{
    private const string Script = "<script>alert(1)</script>";

    private static CompressionReport Report(string output = "logits", string data = "digits", IReadOnlyList<BudgetCheck>? checks = null) => new(
        "models/mlp.onnx", "out/mlp.onnx", 400_000, 100_000, "x64-avx2", "auto", "int8-dynamic",
        [new PassReport(new PassResult("int8-dynamic", "2 MatMul node(s) quantized", new Dictionary<string, long> { ["nodes"] = 2 }), 12.4)],
        new Dictionary<string, string>(),
        new EvaluationResult(8, 16, data,
            [new OutputMetrics(output, 0.9995, 0.998, 0.12, 0.03, 1) { Kind = OutputKind.Classification, KindSource = "inferred: [N,10]", KlDivergence = 0.0002 }],
            null, null) { RandomInputs = data == "random" },
        "1%: met",
        new Dictionary<string, double> { ["read"] = 10, ["verify"] = 20, ["total"] = 40 })
    {
        BudgetChecks = checks ?? [new BudgetCheck(output, OutputKind.Classification, "top1Agreement", 1, 0.99, AtLeast: true)],
        Attempts = [],
    };

    private static ReportSizes Sizes(string op = "MatMul") => new(
        new ModelSizeBreakdown(new Dictionary<string, long> { [op] = 398_000, ["Add"] = 552 },
            new Dictionary<TensorGroup, long> { [TensorGroup.Weights] = 398_000, [TensorGroup.Biases] = 552, [TensorGroup.Quantization] = 0, [TensorGroup.Other] = 0 }, 4),
        new ModelSizeBreakdown(new Dictionary<string, long> { ["MatMulInteger"] = 99_500, ["Add"] = 552 },
            new Dictionary<TensorGroup, long> { [TensorGroup.Weights] = 99_000, [TensorGroup.Biases] = 552, [TensorGroup.Quantization] = 500, [TensorGroup.Other] = 0 }, 8));

    /// <summary>The element with <paramref name="id"/> up to its closing tag (sections do not nest).</summary>
    private static string Section(string html, string id)
    {
        var match = Regex.Match(html, $"<section id=\"{id}\">(.*?)</section>", RegexOptions.Singleline);
        Assert.True(match.Success, $"no section {id}");
        return match.Groups[1].Value;
    }

    [Fact]
    public void Names_from_the_model_are_text_on_the_page_never_markup()
    {
        var report = Report(output: Script) with
        {
            Input = "models/<img src=x onerror=alert(2)>.onnx",
            Attempts = [$"int4: output '{Script}' lost 3 points & more"],
            Sensitivity = [new LayerSensitivity("<b onmouseover=alert(3)>conv</b>", "Conv", 0.5, true)],
            SessionOptions = new Dictionary<string, string> { ["\"><script>x</script>"] = "1" },
        };

        var html = HtmlReportWriter.Render(report, Sizes(op: "<svg onload=alert(4)>"));

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg onload", html, StringComparison.Ordinal);
        Assert.Contains("<h3 class=\"output-name\">&lt;script&gt;alert(1)&lt;/script&gt;</h3>", html, StringComparison.Ordinal);
        Assert.Contains("models/&lt;img src=x onerror=alert(2)&gt;.onnx", html, StringComparison.Ordinal);
        Assert.Contains("output &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; lost 3 points &amp; more", Section(html, "attempts"), StringComparison.Ordinal);
        Assert.Contains("<td>&lt;b onmouseover=alert(3)&gt;conv&lt;/b&gt;</td>", Section(html, "sensitivity"), StringComparison.Ordinal);
        Assert.Contains("<td>&lt;svg onload=alert(4)&gt;</td>", Section(html, "sizes"), StringComparison.Ordinal);
        Assert.Contains("&quot;&gt;&lt;script&gt;x&lt;/script&gt;=1", Section(html, "summary"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_is_self_contained_and_every_section_has_its_id()
    {
        var html = HtmlReportWriter.Render(Report(), Sizes());

        Assert.Equal(HtmlReportWriter.SectionIds, SectionId().Matches(html).Select(m => m.Groups[1].Value));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.All(Href().Matches(html), m => Assert.StartsWith("#", m.Groups[1].Value, StringComparison.Ordinal));
        Assert.Contains("content=\"default-src 'none'; style-src 'unsafe-inline'\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_list_every_operator_of_either_model_with_both_figures_and_a_bar_each()
    {
        var sizes = Section(HtmlReportWriter.Render(Report(), Sizes()), "sizes");

        Assert.Contains("<tr><td>MatMul</td><td>398,000</td><td>0</td><td>0.0 %</td></tr>", sizes, StringComparison.Ordinal);
        Assert.Contains("<tr><td>MatMulInteger</td><td>0</td><td>99,500</td><td>new</td></tr>", sizes, StringComparison.Ordinal);
        Assert.Contains("<tr><td>quantization scales and zero points</td><td>0</td><td>500</td><td>new</td></tr>", sizes, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>other</td>", sizes, StringComparison.Ordinal); // an empty group is left out
        Assert.Equal(2 * (3 + 3), BarCount(sizes)); // before and after for 3 operators and 3 groups

        // The longest bar is the largest figure; the others are drawn to its scale.
        var widths = Regex.Matches(sizes, "<rect class=\"bar (?:first|second)\" x=\"\\d+\" y=\"\\d+\" width=\"([\\d.]+)\"").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(470, widths[0]); // MatMul before, 398,000
        Assert.Equal(470 * 99_500 / 398_000.0, widths[3], 0.1); // MatMulInteger after
    }

    [Fact]
    public void Each_check_shows_its_value_against_its_threshold_met_in_green_and_missed_in_red()
    {
        var report = Report(checks:
        [
            new BudgetCheck("logits", OutputKind.Classification, "top1Agreement", 1, 0.99, AtLeast: true),
            new BudgetCheck("logits", OutputKind.Classification, "accuracyDropPoints", 2.5, 1, AtLeast: false),
        ]);

        var outputs = Section(HtmlReportWriter.Render(report, Sizes()), "outputs");

        Assert.Contains("<tr class=\"check check-met\" data-metric=\"top1Agreement\"><td>top-1 agreement</td><td class=\"value\">1</td><td>≥</td><td class=\"threshold\">0.99</td><td><span class=\"met\">met</span>", outputs, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"check check-missed\" data-metric=\"accuracyDropPoints\"><td>accuracy points lost</td><td class=\"value\">2.5</td><td>≤</td><td class=\"threshold\">1</td><td><span class=\"missed\">missed</span>", outputs, StringComparison.Ordinal);

        // top-1 agreement 1 against 0.99 on a scale from 0.98 to 1: the bar fills it, the threshold line is half way.
        Assert.Contains("<rect class=\"bar met\" x=\"0\" y=\"4\" width=\"300\"", outputs, StringComparison.Ordinal);
        Assert.Contains("<line class=\"threshold\" x1=\"150\"", outputs, StringComparison.Ordinal);

        // 2.5 points lost against at most 1 on a scale from 0 to 3.125: the bar runs to 240 of 300, the line is at 96.
        Assert.Contains("<rect class=\"bar missed\" x=\"0\" y=\"4\" width=\"240\"", outputs, StringComparison.Ordinal);
        Assert.Contains("<line class=\"threshold\" x1=\"96\"", outputs, StringComparison.Ordinal);
        Assert.Contains("<td>KL divergence</td><td>0.0002</td>", outputs, StringComparison.Ordinal);
        Assert.Contains("classification</span> (inferred: [N,10])", outputs, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.9994, 0.99, true, 0.98, 1)]
    [InlineData(0.5, 0.99, true, 0, 1)]
    [InlineData(1, 1, true, 0.999, 1)]
    [InlineData(2.5, 1, false, 0, 3.125)]
    [InlineData(-0.5, 1, false, -0.5, 1.25)]
    [InlineData(0, 0, false, 0, 1)]
    public void A_checks_scale_shows_the_distance_between_value_and_threshold(double value, double threshold, bool atLeast, double low, double high)
    {
        var (l, h) = SvgCharts.Scale(value, threshold, atLeast);

        Assert.Equal(low, l, 9);
        Assert.Equal(high, h, 9);
    }

    [Fact]
    public void Random_evidence_is_a_visible_warning_and_a_data_folder_is_named()
    {
        var random = Section(HtmlReportWriter.Render(Report(data: "random"), Sizes()), "summary");
        var real = Section(HtmlReportWriter.Render(Report(data: "calibration/digits"), Sizes()), "summary");

        Assert.Contains("<p class=\"warning\" id=\"evidence-warning\">8 samples (16 rows) of random inputs (no data given), not real samples", random, StringComparison.Ordinal);
        Assert.Contains("add a Calibration folder of real samples (--calibration DIR)", random, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", real, StringComparison.Ordinal);
        Assert.Contains("8 samples (16 rows) from <span class=\"path\">calibration/digits</span>", real, StringComparison.Ordinal);
    }

    [Fact]
    public void Measured_sensitivity_is_a_table_worst_first_with_a_bar_per_layer_and_otherwise_the_section_says_why_not()
    {
        var report = Report() with
        {
            Recipe = "int8-static",
            Sensitivity = [new LayerSensitivity("conv1", "Conv", 0.95, true), new LayerSensitivity("fc", "MatMul", 0.999, false)],
        };

        var measured = Section(HtmlReportWriter.Render(report, Sizes()), "sensitivity");
        var dynamic = Section(HtmlReportWriter.Render(Report(), Sizes()), "sensitivity");
        var staticAtOnce = Section(HtmlReportWriter.Render(report with { Sensitivity = [] }, Sizes()), "sensitivity");

        Assert.Contains("<tr><td>conv1</td><td>Conv</td><td>0.950000</td><td>0.05</td><td><span class=\"float\">float</span></td></tr>", measured, StringComparison.Ordinal);
        Assert.Contains("<tr><td>fc</td><td>MatMul</td><td>0.999000</td><td>0.001</td><td>int8</td></tr>", measured, StringComparison.Ordinal);
        Assert.True(measured.IndexOf("conv1", StringComparison.Ordinal) < measured.IndexOf("<td>fc", StringComparison.Ordinal));
        Assert.Equal(2, BarCount(measured));
        Assert.Contains("Not measured for this recipe (int8-dynamic)", dynamic, StringComparison.Ordinal);
        Assert.Contains("the all-int8 model met the fidelity target (cosine 0.99) at once", staticAtOnce, StringComparison.Ordinal);
        Assert.Equal(0, BarCount(dynamic));
    }

    [Fact]
    public void Attempts_list_each_rejected_recipe_with_its_reason_then_the_shipped_one()
    {
        var report = Report() with { Attempts = ["int4: top-1 agreement 0.9 under the 0.99 a 1% budget requires", "fp16: slower"] };

        var attempts = Section(HtmlReportWriter.Render(report, Sizes()), "attempts");

        Assert.Matches(
            "<li class=\"rejected\"><span class=\"recipe\">int4</span> <span class=\"missed\">rejected</span>: <span class=\"reason\">top-1 agreement 0.9 under the 0.99 a 1% budget requires</span></li>\\s*"
            + "<li class=\"rejected\"><span class=\"recipe\">fp16</span> <span class=\"missed\">rejected</span>: <span class=\"reason\">slower</span></li>\\s*"
            + "<li class=\"shipped\"><span class=\"recipe\">int8-dynamic</span> <span class=\"met\">shipped</span></li>",
            attempts);
        Assert.Contains("<tr><td>int8-dynamic</td><td>2 MatMul node(s) quantized</td><td class=\"n\">12</td><td>nodes 2</td></tr>", attempts, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportWriter_writes_html_for_html_and_htm_names_and_json_otherwise_leaving_no_temporary_file()
    {
        using var temp = new TempDirectory();
        var report = Report() with { Sensitivity = [new LayerSensitivity("conv1", "Conv", 0.95, true)] };

        ReportWriter.WriteFile(report, temp.File("r.HTML"), Sizes());
        ReportWriter.WriteFile(report, temp.File("r.htm"), Sizes());
        ReportWriter.WriteFile(report, temp.File("r.json"), Sizes());
        ReportWriter.WriteHtmlFile(report, temp.File("r.report"), Sizes());

        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(temp.File("r.HTML")), StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(temp.File("r.HTML")), File.ReadAllText(temp.File("r.htm")));
        Assert.Equal(File.ReadAllText(temp.File("r.HTML")), File.ReadAllText(temp.File("r.report")));
        using var json = JsonDocument.Parse(File.ReadAllText(temp.File("r.json")));
        var layer = Assert.Single(json.RootElement.GetProperty("sensitivity").EnumerateArray());
        Assert.Equal("conv1", layer.GetProperty("layer").GetString());
        Assert.Equal(0.95, layer.GetProperty("cosine").GetDouble());
        Assert.True(layer.GetProperty("keptInFloat").GetBoolean());
        Assert.Equal(4, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void The_pruning_section_lists_each_layer_and_each_share_that_missed_and_says_when_pruning_was_not_asked()
    {
        var pruning = new DeepSeek.Engine.Pruning.PruningReport("channel-l2 0.3", 0.3, 0.222, 0.105,
            [new("<i>ffn</i>", "ffn-units", 1536, 1200, 0.0024), new("attn", "attention-heads", 12, 11, 0.0049)],
            ["0.3: pooled cosine 0.9915 under the 0.9925 <a 0.75% budget> requires"]);
        var section = Section(HtmlReportWriter.Render(Report() with { Pruning = pruning }, Sizes()), "pruning");

        Assert.Contains("channel-l2 0.3", section, StringComparison.Ordinal);
        Assert.Contains("<span id=\"pruning-shipped\">22.2 %</span>", section, StringComparison.Ordinal);
        Assert.Contains("<td>&lt;i&gt;ffn&lt;/i&gt;</td><td>ffn-units</td><td>1,536</td><td>1,200</td><td>21.9 %</td><td>0.0024</td>", section, StringComparison.Ordinal);
        Assert.Contains("<td>attn</td><td>attention-heads</td><td>12</td><td>11</td><td>8.3 %</td>", section, StringComparison.Ordinal);
        Assert.Contains("<li class=\"rejected\">0.3: pooled cosine 0.9915 under the 0.9925 &lt;a 0.75% budget&gt; requires</li>", section, StringComparison.Ordinal);
        Assert.Equal(2, BarCount(section));

        var none = Section(HtmlReportWriter.Render(Report(), Sizes()), "pruning");
        Assert.Contains("Not asked for", none, StringComparison.Ordinal);
        Assert.DoesNotContain("<table", none, StringComparison.Ordinal);
    }

    private static int BarCount(string html) => Regex.Count(html, "<rect class=\"bar ");

    [GeneratedRegex("<section id=\"([a-z-]+)\">")]
    private static partial Regex SectionId();

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
