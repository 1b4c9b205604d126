using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

/// <summary>
/// Issue 12, point 5: <c>deepseek compress --report name.html</c> writes a page a person can look at. Each test renders the
/// page in headless Chromium and checks what is on it.
/// </summary>
public sealed partial class HtmlReportTests
{
    private static readonly string[] Sections = ["summary", "sizes", "outputs", "sensitivity", "pruning", "attempts", "timings"];

    private static string Bytes(string file) => new FileInfo(file).Length.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>No script, and nothing the page would load: no <c>src</c>, only links inside the page, no web address.</summary>
    private static void AssertSelfContained(string html)
    {
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        var links = Href().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Sections.Select(s => "#" + s), links);
    }

    [Fact]
    public void The_report_of_the_MNIST_MLP_shows_every_section_with_the_real_figures_in_Chromium()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut.Take(64), cnnLayout: false);
        var output = temp.File("mlp.int8.onnx");
        var page = temp.File("report.html");

        var (code, _, stderr) = CliRunner.Run("compress", TestAssets.MnistMlp, "-o", output, "--profile", "x64-avx2", "--quantize", "int8-static",
            "--calibration", digits, "--report", page);

        Assert.True(code == 0, stderr);
        AssertSelfContained(File.ReadAllText(page));
        var dom = Chromium.DumpDom(page);
        foreach (var id in Sections)
        {
            Assert.Contains($"<section id=\"{id}\">", dom, StringComparison.Ordinal);
        }

        Assert.Contains("<span class=\"recipe\" id=\"recipe\">int8-static</span> (quantize int8-static)", dom, StringComparison.Ordinal);
        Assert.Contains($"<span id=\"bytes-before\">{Bytes(TestAssets.MnistMlp)}</span> bytes → <span id=\"bytes-after\">{Bytes(output)}</span> bytes", dom, StringComparison.Ordinal);
        Assert.Contains($"64 samples (64 rows) from <span class=\"path\">{digits}</span>", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("evidence-warning", dom, StringComparison.Ordinal);

        // The MLP's weights are two MatMul matrices, 784x128 and 128x10 floats: 406,528 bytes, a quarter of that in int8.
        var matmul = Regex.Match(dom, "<tr><td>MatMul</td><td>([\\d,]+)</td><td>([\\d,]+)</td>");
        Assert.Equal("406,528", matmul.Groups[1].Value);
        Assert.InRange(long.Parse(matmul.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture), 101_632, 101_632 + 2_000); // int8 + scales

        // The output, its kind, and the labels' check met against its threshold.
        Assert.Contains("<h3 class=\"output-name\">logits</h3>", dom, StringComparison.Ordinal);
        Assert.Contains("kind <span class=\"kind\">classification</span>", dom, StringComparison.Ordinal);
        Assert.Matches("<tr class=\"check check-met\" data-metric=\"accuracyDropPoints\"><td>accuracy points lost</td><td class=\"value\">-?[\\d.]+</td><td>≤</td>"
            + "<td class=\"threshold\">1</td><td><span class=\"met\">met</span></td><td><svg", dom);
        Assert.Contains("<span class=\"met\" id=\"budget\">1% (default): met</span>", dom, StringComparison.Ordinal);

        // Plots: the size charts and the check's bar are SVG that Chromium kept as such.
        Assert.True(Regex.Count(dom, "<svg class=\"chart\"") >= 4, "fewer than 4 charts");
        Assert.True(Regex.Count(dom, "<rect class=\"bar ") >= 9, "fewer than 9 bars");
        Assert.Contains("Not measured for this recipe: the all-int8 model met the fidelity target", dom, StringComparison.Ordinal);
        Assert.Contains("<li class=\"shipped\"><span class=\"recipe\">int8-static</span> <span class=\"met\">shipped</span> (the first recipe tried)</li>", dom, StringComparison.Ordinal);
        Assert.Contains("<tr><td>verify</td>", dom, StringComparison.Ordinal);

        // What a person sees: the page drawn at 1200x2000, with the bars' blue and the met check's green on it.
        var png = temp.File("report.png");
        Chromium.Screenshot(page, png, 1200, 2000);
        Assert.True(new FileInfo(png).Length > 50_000, $"{new FileInfo(png).Length} bytes");
        var image = PngImage.Load(png);
        Assert.Equal((1200, 2000), (image.Width, image.Height));
        Assert.True(Pixels(image, 0x09, 0x69, 0xda) > 1_000, "no 'after' bars (#0969da) on the screenshot");
        Assert.True(Pixels(image, 0x1a, 0x7f, 0x37) > 50, "no met check (#1a7f37) on the screenshot");
        Assert.True(Pixels(image, 0xff, 0xff, 0xff) < image.Width * image.Height * 0.95, "the screenshot is almost blank");
    }

    [Fact]
    public void An_auto_run_lists_the_recipe_it_rejected_and_why_then_the_one_it_shipped()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut.Take(32), cnnLayout: false);

        // A profile that starts auto from 'none' with a 0.3 MB size budget: the 0.41 MB MLP as it is is rejected (DSB0068), fp16 fits.
        var profiles = temp.File("profiles.json");
        File.WriteAllText(profiles, """
            { "profiles": [ { "name": "edge", "rids": [], "defaultRecipe": "none", "int8": { "activations": "int8", "weightBits": 8 }, "sizeBudgetMB": 0.3 } ] }
            """);
        var page = temp.File("auto.html");

        var (code, _, stderr) = CliRunner.Run("compress", TestAssets.MnistMlp, "-o", temp.File("mlp.onnx"), "--profile", "edge", "--profiles-file", profiles,
            "--quantize", "auto", "--calibration", digits, "--report", page);

        Assert.True(code == 0, stderr);
        var dom = Chromium.DumpDom(page);
        var attempts = Regex.Match(dom, "<section id=\"attempts\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Matches(
            "<ol class=\"attempts\">\\s*<li class=\"rejected\"><span class=\"recipe\">none</span> <span class=\"missed\">rejected</span>: "
            + "<span class=\"reason\">none for edge is 0\\.41 MB, over the profile's size budget of 0\\.3 MB</span></li>\\s*"
            + "<li class=\"shipped\"><span class=\"recipe\">fp16</span> <span class=\"met\">shipped</span></li>\\s*</ol>",
            attempts);
        Assert.Contains("<span class=\"recipe\" id=\"recipe\">fp16</span> (quantize auto)", dom, StringComparison.Ordinal);
        Assert.Contains("Not measured for this recipe (fp16)", dom, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_from_the_model_reach_the_page_as_text_never_as_markup()
    {
        using var temp = new TempDirectory();
        const string Script = "<script>alert(1)</script>";
        var model = new ModelBuilder(8, 13)
            .Input("x", 1, 8)
            .Initializer("w", ModelBuilder.Random(8 * 4, 1), 8, 4)
            .Node("MatMul", ["x", "w"], [Script])
            .Output(Script, 1, 4)
            .Save(temp.File("model.onnx"));
        var page = temp.File("escaped.html");

        var (code, _, stderr) = CliRunner.Run("compress", model, "-o", temp.File("out.onnx"), "--profile", "x64-avx2", "--quantize", "fp16",
            "--accuracy-budget", "none", "--report", page);

        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(page);
        AssertSelfContained(html);
        Assert.Contains("<h3 class=\"output-name\">&lt;script&gt;alert(1)&lt;/script&gt;</h3>", html, StringComparison.Ordinal);

        // Chromium reads the name as text: there is no script element in the document it built.
        var dom = Chromium.DumpDom(page);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<h3 class=\"output-name\">&lt;script&gt;alert(1)&lt;/script&gt;</h3>", dom, StringComparison.Ordinal);
        Assert.Contains("<p class=\"warning\" id=\"evidence-warning\">", dom, StringComparison.Ordinal); // random inputs, said so
    }

    /// <summary>Pixels within 8 of the colour in each channel.</summary>
    private static int Pixels(PngImage image, int r, int g, int b)
    {
        var count = 0;
        for (var i = 0; i < image.Rgb.Length; i += 3)
        {
            if (Math.Abs(image.Rgb[i] - r) <= 8 && Math.Abs(image.Rgb[i + 1] - g) <= 8 && Math.Abs(image.Rgb[i + 2] - b) <= 8)
            {
                count++;
            }
        }

        return count;
    }

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
