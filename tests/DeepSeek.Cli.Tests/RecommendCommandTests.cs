using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Cli.Tests;

/// <summary><c>deepseek recommend</c> on the MNIST MLP with 2,000 labelled held-out digits: every candidate in one table with
/// its accuracy loss against a 0% budget (any lost digit misses it), and a recommendation that follows the table.</summary>
public sealed partial class RecommendCommandTests(ITestOutputHelper log)
{
    [Fact]
    public void Every_candidate_is_measured_and_the_smallest_that_keeps_the_budget_is_recommended()
    {
        using var temp = new TempDirectory();
        var data = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut, cnnLayout: false);
        var before = Directory.GetFiles(Path.GetDirectoryName(TestAssets.MnistMlp)!);

        var page = temp.File("recommend.html");
        var (code, stdout, stderr) = CliRunner.Run("recommend", TestAssets.MnistMlp, "--profile", "x64-avx2", "--calibration", data, "--accuracy-budget", "0%", "--report", page);
        log.WriteLine(stdout);
        Assert.True(code == 0, stderr);
        Assert.Contains("profile x64-avx2, budget 0%, evidence " + data, stdout, StringComparison.Ordinal);

        var rows = Row().Matches(stdout).ToDictionary(m => m.Groups["recipe"].Value, m => (Bytes: long.Parse(m.Groups["bytes"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture), Status: m.Groups["status"].Value, Line: m.Value));
        Assert.Equal(["fp16", "int8-dynamic", "int8-static", "int4"], rows.Keys);
        foreach (var (recipe, row) in rows)
        {
            // Each row's status follows its measured loss: kept at 0 points or fewer, missed (and marked) above.
            var lost = double.Parse(Lost().Match(row.Line).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True((lost <= 0) == (row.Status == "kept"), $"{recipe}: {row.Line}");
            Assert.Equal(row.Status == "missed", row.Line.Contains("MISSED", StringComparison.Ordinal));
        }

        Assert.True(rows["int4"].Bytes < rows["int8-dynamic"].Bytes && rows["int8-dynamic"].Bytes < rows["fp16"].Bytes);

        // The recommendation: the smallest kept row that is not slower here (x64-avx2 is not this machine's profile on a VNNI
        // machine: no speed is measured then, and size alone decides).
        var eligible = rows.Where(r => r.Value.Status == "kept" && !r.Value.Line.Contains("slower", StringComparison.Ordinal)).OrderBy(r => r.Value.Bytes).Select(r => r.Key).FirstOrDefault() ?? "none";
        Assert.Contains($"recommended: {eligible}", stdout, StringComparison.Ordinal);
        Assert.Contains($"<DeepSeekModel Include=\"{TestAssets.MnistMlp}\" Quantize=\"{eligible}\" Calibration=\"{data}\" AccuracyBudget=\"0%\" />", stdout, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(Path.GetDirectoryName(TestAssets.MnistMlp)!)); // nothing written beside the model

        // The page holds the same table, rendered by Chromium: a row per recipe with its bytes and status, the recommendation
        // and its item line, a size chart and one chart per check; and nothing it would run or load.
        Assert.Contains($"  report: {page}", stdout, StringComparison.Ordinal);
        var html = File.ReadAllText(page);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        var dom = Chromium.DumpDom(page);
        foreach (var id in new[] { "summary", "candidates", "plots" })
        {
            Assert.Contains($"<section id=\"{id}\">", dom, StringComparison.Ordinal);
        }

        foreach (var (recipe, row) in rows)
        {
            // The page marks a kept candidate that runs slower than the original "slower"; a missed one stays "missed" (its line
            // may add "slower than the original here" after MISSED).
            var status = row.Status == "kept" && row.Line.Contains("slower", StringComparison.Ordinal) ? "slower" : row.Status;
            Assert.Contains($"<tr class=\"candidate\" data-recipe=\"{recipe}\"><td class=\"recipe\">{recipe}</td><td class=\"n\">{row.Bytes.ToString("N0", CultureInfo.InvariantCulture)}</td>", dom, StringComparison.Ordinal);
            Assert.Matches($"data-recipe=\"{recipe}\".*?<span class=\"(met|missed)\">{status}</span>", dom);
        }

        Assert.Contains($"<span class=\"recipe\" id=\"chosen\">{eligible}</span>", dom, StringComparison.Ordinal);
        Assert.Contains($"Quantize=\"{eligible}\"", Regex.Match(dom, "<code id=\"item\">(.*?)</code>").Groups[1].Value.Replace("&quot;", "\"", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Bytes per recipe (the original first)\"", dom, StringComparison.Ordinal);
        Assert.Equal(rows.Count, Regex.Count(dom, "aria-label=\"accuracy points lost ")); // one check per recipe: the labelled output's loss
    }

    [Fact]
    public void A_report_that_is_not_html_is_DSB0065_before_anything_is_measured()
    {
        var (code, _, stderr) = CliRunner.Run("recommend", TestAssets.MnistMlp, "--report", "table.json");
        Assert.Equal(1, code);
        Assert.Contains("error DSB0065: --report: 'table.json' is not an HTML file name — recommend writes an HTML page: name it FILE.html", stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"accuracy points lost (-?[\d.]+) ≤ 0")]
    private static partial Regex Lost();

    [GeneratedRegex(@"^  (?<recipe>fp16|int8-dynamic|int8-static|int4) +(?<bytes>[\d,]+) .*? (?<status>kept|missed) .*$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
