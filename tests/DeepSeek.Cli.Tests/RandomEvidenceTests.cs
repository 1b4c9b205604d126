using System.Text.Json;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

/// <summary>Issue 12, part 4 at the command line: random evidence is labelled, <c>--dim</c> sizes it, bad data is refused.</summary>
public sealed class RandomEvidenceTests
{
    [Fact]
    public void Compress_without_data_says_the_evidence_is_random_and_dim_sizes_the_samples()
    {
        using var temp = new TempDirectory();
        var output = temp.File("arctic.int8.onnx");
        var report = temp.File("report.json");

        var (code, stdout, stderr) = CliRunner.Run("compress", ArcticXs.Instance.Model, "-o", output, "--profile", "x64-avx2", "--quantize", "int8-dynamic",
            "--dim", "sequence_length=16", "--dim", "batch_size=3", "--report", report);

        Assert.True(code == 0, stderr);
        Assert.Contains("verified on 8 sample(s) from random", stdout, StringComparison.Ordinal);
        Assert.Contains("  evidence: random inputs (no data given), not real samples", stdout, StringComparison.Ordinal);
        Assert.Contains("add a Calibration folder of real samples (--calibration DIR)", stdout, StringComparison.Ordinal);
        Assert.Contains("last_hidden_state (float, embedding): cosine mean 0.99", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var evaluation = json.RootElement.GetProperty("evaluation");
        Assert.Equal("random", evaluation.GetProperty("data").GetString());
        Assert.Equal(24, evaluation.GetProperty("rows").GetInt32()); // 8 samples of batch_size 3
        var hidden = evaluation.GetProperty("outputs")[0];
        Assert.Equal("float", hidden.GetProperty("elementType").GetString());
        Assert.Equal(JsonValueKind.Null, hidden.GetProperty("exactAgreement").ValueKind);
        Assert.InRange(hidden.GetProperty("meanCosine").GetDouble(), 0.99, 1.0);
    }

    [Theory]
    [InlineData("nope=4", "no input of the model has a symbolic dimension 'nope' — use one of: batch_size, sequence_length")]
    [InlineData("sequence_length=0", "'sequence_length=0' is not a dimension size — write name=size")]
    [InlineData("sequence_length", "'sequence_length' is not a dimension size")]
    public void A_bad_dim_is_DSB0065(string dim, string expected)
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = CliRunner.Run("compress", ArcticXs.Instance.Model, "-o", temp.File("o.onnx"), "--quantize", "int8-dynamic", "--dim", dim);

        Assert.NotEqual(0, code);
        Assert.Contains("error DSB0065: --dim: " + expected, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("o.onnx")));
    }

    [Fact]
    public void A_calibration_digit_holding_NaN_is_refused_with_DSB0057_and_no_model_is_written()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.Training.Take(3).Select(d => (Image: (float[])d.Image.Clone(), d.Label)).ToList();
        digits[0].Image[10] = float.PositiveInfinity;
        var data = MnistDigits.WriteDataFolder(temp.File("data"), digits, cnnLayout: false);

        var (code, stdout, stderr) = CliRunner.Run("compress", TestAssets.MnistMlp, "-o", temp.File("o.onnx"), "--quantize", "int8-dynamic", "--calibration", data);

        Assert.NotEqual(0, code);
        Assert.Contains($"error DSB0057: {data}: sample 'sample_00000.npy' holds +infinity in input 'input' (element 10) — ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("evidence:", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("o.onnx")));
    }
}
