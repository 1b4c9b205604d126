using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>A profile's <c>sizeBudgetMB</c>: a compressed model over it is not shipped (DSB0068).</summary>
public sealed class SizeBudgetTests
{
    private static HardwareProfile Edge(TempDirectory temp, double budgetMB)
    {
        var file = temp.File("profiles.json");
        File.WriteAllText(file, $$"""
            { "profiles": [ { "name": "edge", "rids": [], "defaultRecipe": "fp16", "int8": { "activations": "int8", "weightBits": 8 }, "sizeBudgetMB": {{budgetMB.ToString(System.Globalization.CultureInfo.InvariantCulture)}} } ] }
            """);
        return ProfileCatalog.Load(file).Get("edge");
    }

    private static CompressionRequest Request(TempDirectory temp, HardwareProfile profile, string quantize)
        => new() { Input = TestAssets.MnistMlp, Output = temp.File("out.onnx"), Profile = profile, Quantize = quantize };

    [Fact]
    public void A_model_over_the_budget_is_DSB0068_with_its_size_and_nothing_is_written()
    {
        using var temp = new TempDirectory();
        var profile = Edge(temp, 0.15); // the 408 KB MLP: fp16 ~0.2 MB, int8 ~0.1 MB

        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(Request(temp, profile, "fp16")));

        Assert.Equal("DSB0068", e.Id);
        Assert.Matches(@"fp16 for edge is 0\.2\d MB, over the profile's size budget of 0\.15 MB", e.Message);
        Assert.False(File.Exists(temp.File("out.onnx")));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*"));

        // auto tries fp16 (the profile's default), then none: both over the budget, so the build fails rather than ship.
        e = Assert.Throws<DeepSeekException>(() => Compressor.Run(Request(temp, profile, "auto")));
        Assert.Equal("DSB0068", e.Id);
        Assert.Contains("none for edge is 0.41 MB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_within_the_budget_ships()
    {
        using var temp = new TempDirectory();

        // Real digits: the default accuracy budget is checked on them (random inputs flip a classifier's arg-max too easily).
        var digits = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut.Take(32).ToList(), cnnLayout: false);
        var report = Compressor.Run(Request(temp, Edge(temp, 0.15), "int8-dynamic") with { CalibrationFolder = digits });

        Assert.True(report.OutputBytes <= 150_000, $"{report.OutputBytes} bytes");
        Assert.Equal(report.OutputBytes, new FileInfo(temp.File("out.onnx")).Length);
    }
}
