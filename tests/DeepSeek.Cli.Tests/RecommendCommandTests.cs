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

        var (code, stdout, stderr) = CliRunner.Run("recommend", TestAssets.MnistMlp, "--profile", "x64-avx2", "--calibration", data, "--accuracy-budget", "0%");
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
    }

    [GeneratedRegex(@"accuracy points lost (-?[\d.]+) ≤ 0")]
    private static partial Regex Lost();

    [GeneratedRegex(@"^  (?<recipe>fp16|int8-dynamic|int8-static|int4) +(?<bytes>[\d,]+) .*? (?<status>kept|missed) .*$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
