using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

public sealed class NonFiniteWeightsTests
{
    [Fact]
    public void Compress_refuses_a_model_with_nan_weights_in_one_line_exit_code_1_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var model = NonFiniteModels.Save(temp.Path, 10, WeightStorage.External);
        var before = Directory.GetFiles(temp.Path).ToDictionary(f => f, File.ReadAllBytes);
        var output = temp.File("out.onnx");

        var (code, stdout, stderr) = CliRunner.RunProcess("compress", model, "-o", output, "--quantize", "int8-dynamic");

        Assert.Equal(1, code);
        Assert.Equal(
            $"error DSB0023: {model}: tensor 'w' (float16[4,2], external data in 'w.bin') holds 2 NaN and 2 infinities among its 8 values — " +
            "nothing was compressed; such weights come from a training run that diverged or a broken export: export the model again from a checkpoint whose weights are all finite",
            stderr.TrimEnd('\n'));
        Assert.Empty(stdout);
        Assert.False(File.Exists(output));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(temp.Path).Order());
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }
}
