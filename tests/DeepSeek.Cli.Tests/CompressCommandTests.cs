using System.Text.Json;
using DeepSeek.Engine.Data;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

public sealed class CompressCommandTests
{
    private static (string Model, string Data) MlpWithData(TempDirectory temp)
    {
        var model = new ModelBuilder(8, 13)
            .Input("x", "batch", 32)
            .Initializer("w1", ModelBuilder.Random(32 * 64, 1, 0.3f), 32, 64)
            .Initializer("w2", ModelBuilder.Random(64 * 10, 2, 0.3f), 64, 10)
            .Node("MatMul", ["x", "w1"], ["h"])
            .Node("Relu", ["h"], ["r"])
            .Node("MatMul", ["r", "w2"], ["y"])
            .Output("y", "batch", 10)
            .Save(temp.File("mlp.onnx"));
        var data = Directory.CreateDirectory(temp.File("data")).FullName;
        for (var i = 0; i < 6; i++)
        {
            NpyWriter.Write(Path.Combine(data, $"s{i}.npy"), TensorValue.Create(ModelBuilder.Random(4 * 32, 10 + i), 4, 32));
        }

        return (model, data);
    }

    [Fact]
    public void Compress_writes_the_model_and_a_report_and_eval_measures_it()
    {
        using var temp = new TempDirectory();
        var (model, data) = MlpWithData(temp);
        var before = File.ReadAllBytes(model);
        var output = temp.File("mlp.int8.onnx");
        var report = temp.File("report.json");

        var (code, stdout, stderr) = CliRunner.Run("compress", model, "-o", output, "--profile", "x64-avx2", "--quantize", "int8-dynamic",
            "--calibration", data, "--accuracy-budget", "50%", "--report", report);

        Assert.True(code == 0, stderr);
        Assert.Empty(stderr);
        Assert.Contains("recipe int8-dynamic", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(model));
        using (var json = JsonDocument.Parse(File.ReadAllText(report)))
        {
            var root = json.RootElement;
            Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
            Assert.Equal(new FileInfo(output).Length, root.GetProperty("output").GetProperty("bytes").GetInt64());
            Assert.Equal(new FileInfo(model).Length, root.GetProperty("input").GetProperty("bytes").GetInt64());
            Assert.InRange(root.GetProperty("sizeRatio").GetDouble(), 0.2, 0.5);
            Assert.Contains(root.GetProperty("passes").EnumerateArray(), p => p.GetProperty("name").GetString() == "int8-dynamic" && p.GetProperty("counters").GetProperty("nodes").GetInt64() == 2);
            var evaluation = root.GetProperty("evaluation");
            Assert.Equal(data, evaluation.GetProperty("data").GetString());
            Assert.Equal(24, evaluation.GetProperty("rows").GetInt32());
            Assert.True(evaluation.GetProperty("outputs")[0].GetProperty("meanCosine").GetDouble() > 0.99);
            Assert.Equal("50%: met", root.GetProperty("budget").GetString());
            var check = Assert.Single(root.GetProperty("budgetChecks").EnumerateArray());
            Assert.Equal("classification", check.GetProperty("kind").GetString()); // [batch, 10] logits from a Gemm: inferred
            Assert.Equal("top1Agreement", check.GetProperty("metric").GetString());
            Assert.Equal(0.5, check.GetProperty("threshold").GetDouble());
            Assert.Equal(evaluation.GetProperty("outputs")[0].GetProperty("top1Agreement").GetDouble(), check.GetProperty("value").GetDouble());
            Assert.True(check.GetProperty("met").GetBoolean());
        }

        (code, stdout, stderr) = CliRunner.Run("eval", model, output, "--data", data, "--json");
        Assert.True(code == 0, stderr);
        using var eval = JsonDocument.Parse(stdout);
        var metrics = eval.RootElement.GetProperty("evaluation").GetProperty("outputs")[0];
        Assert.Equal("y", metrics.GetProperty("name").GetString());
        Assert.InRange(metrics.GetProperty("meanCosine").GetDouble(), 0.99, 1.0);
        Assert.InRange(metrics.GetProperty("top1Agreement").GetDouble(), 0.5, 1.0);
    }

    /// <summary>ResNet-18 has no MatMul or Gemm: int8-dynamic ships the original file and says so in the line MSBuild reads as a warning.</summary>
    [Fact]
    public void A_recipe_that_quantizes_nothing_prints_warning_DSB0081_and_ships_the_original()
    {
        using var temp = new TempDirectory();
        var output = temp.File("resnet.onnx");

        var (code, stdout, stderr) = CliRunner.Run("compress", TestAssets.ResNet18, "-o", output, "--profile", "x64-avx2", "--quantize", "int8-dynamic");

        Assert.True(code == 0, stderr);
        Assert.Contains($"warning DSB0081: {TestAssets.ResNet18}: int8-dynamic quantized nothing", stdout, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(TestAssets.ResNet18), File.ReadAllBytes(output));
    }

    [Fact]
    public void Int4_by_GPTQ_without_calibration_data_is_DSB0064()
    {
        using var temp = new TempDirectory();
        var (model, _) = MlpWithData(temp);

        var (code, _, stderr) = CliRunner.Run("compress", model, "-o", temp.File("out.onnx"), "--quantize", "int4", "--int4-method", "gptq");

        Assert.Equal(1, code);
        Assert.StartsWith("error DSB0064: ", stderr, StringComparison.Ordinal);
        Assert.Contains("GPTQ (--int4-method gptq) was asked for without calibration data", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("out.onnx")));
    }

    [Theory]
    [InlineData("DSB0065", "--quantize", "mixed")]
    [InlineData("DSB0065", "--quantize", "int3")]
    [InlineData("DSB0061", "--profile", "x64-avx3")]
    [InlineData("DSB0065", "--accuracy-budget", "lots")]
    [InlineData("DSB0065", "--prune", "1.5")]
    [InlineData("DSB0065", "--prune-mode", "channel-l3")]
    [InlineData("DSB0065", "--sparsity", "4:2")]
    [InlineData("DSB0064", "--quantize", "int8-static")]
    [InlineData("DSB0065", "--int4-method", "hqq")]
    public void Compress_refuses_bad_options_with_one_line_and_writes_nothing(string id, string option, string value)
    {
        using var temp = new TempDirectory();
        var (model, _) = MlpWithData(temp);
        var output = temp.File("out.onnx");

        var (code, stdout, stderr) = CliRunner.Run("compress", model, "-o", output, option, value);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error {id}: ", line, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*"));
    }

    [Theory]
    [InlineData("--prune", "0.5", "channel-l2", "channel-l2 0.5", "ffn-units")]
    [InlineData("--sparsity", "2:4", null, "magnitude 2:4", "weights")]
    public void Compress_prunes_as_asked_reports_each_layer_and_the_result_runs(string option, string value, string? mode, string requested, string kind)
    {
        using var temp = new TempDirectory();
        var (model, data) = MlpWithData(temp);
        var output = temp.File("mlp.pruned.onnx");
        var report = temp.File("report.json");
        string[] args = ["compress", model, "-o", output, "--profile", "x64-avx2", "--quantize", "none", "--calibration", data, "--accuracy-budget", "none", "--report", report, option, value];
        var (code, stdout, stderr) = CliRunner.Run(mode is null ? args : [.. args, "--prune-mode", mode]);

        Assert.True(code == 0, stderr);
        Assert.Contains($"pruning {requested}: shipped", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var pruning = json.RootElement.GetProperty("pruning");
        Assert.Equal(requested, pruning.GetProperty("requested").GetString());
        Assert.Equal(0.5, pruning.GetProperty("shippedFraction").GetDouble(), 2); // opted out of the budget: the whole request
        Assert.Contains(pruning.GetProperty("layers").EnumerateArray(), l => l.GetProperty("kind").GetString() == kind && l.GetProperty("after").GetInt64() < l.GetProperty("before").GetInt64());

        // The pruned model runs in ONNX Runtime (eval compares it with the original on the same data).
        var (evalCode, evalOut, evalErr) = CliRunner.Run("eval", model, output, "--data", data);
        Assert.True(evalCode == 0, evalErr);
        Assert.Contains("cosine", evalOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Profiles_lists_every_profile_and_marks_this_machine()
    {
        var (code, stdout, stderr) = CliRunner.Run("profiles");
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        foreach (var name in new[] { "x64-avx2", "x64-avx512vnni", "arm64-neon", "apple-silicon", "cuda", "rocm", "browser-wasm" })
        {
            Assert.Contains(name, stdout, StringComparison.Ordinal);
        }

        Assert.Contains("(this machine)", stdout, StringComparison.Ordinal);

        (code, stdout, _) = CliRunner.Run("profiles", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        var avx2 = json.RootElement.GetProperty("profiles").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "x64-avx2");
        Assert.Equal(7, avx2.GetProperty("int8").GetProperty("weightBits").GetInt32());
        Assert.Contains("linux-x64", avx2.GetProperty("rids").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public void A_profiles_file_adds_a_profile()
    {
        using var temp = new TempDirectory();
        var file = temp.File("profiles.json");
        File.WriteAllText(file, """{ "profiles": [ { "name": "pi5", "rids": [], "description": "Raspberry Pi 5", "int8": { "activations": "int8", "weightBits": 8 } } ] }""");

        var (code, stdout, stderr) = CliRunner.Run("profiles", "--profiles-file", file);

        Assert.True(code == 0, stderr);
        Assert.Contains("pi5", stdout, StringComparison.Ordinal);
        Assert.Contains("x64-avx2", stdout, StringComparison.Ordinal);

        File.WriteAllText(file, "{ not json");
        (code, _, stderr) = CliRunner.Run("profiles", "--profiles-file", file);
        Assert.Equal(1, code);
        Assert.StartsWith("error DSB0061: ", stderr, StringComparison.Ordinal);
    }
}
