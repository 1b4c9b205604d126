using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// Weights held in Constant nodes (PaddlePaddle exports): before, the quantizers added int8 copies and left the float Constant
/// nodes in the graph (a "compressed" file of 143 % after static INT8, 110 % after dynamic). Every compressed model must be
/// smaller than its source, or refused; a recipe that quantizes nothing ships the original with a warning.
/// </summary>
public sealed class ConstantNodeWeightsTests(ITestOutputHelper output)
{
    private static readonly HardwareProfile Avx2 = ProfileCatalog.BuiltIn.Get("x64-avx2");

    [Fact]
    public void Static_int8_of_a_resnet_whose_weights_are_Constant_nodes_is_a_quarter_of_its_size()
    {
        using var temp = new TempDirectory();
        var photos = ImageData.Write(temp, "photos", TestAssets.Images.Where(i => i.EndsWith("chelsea.png", StringComparison.Ordinal) || i.EndsWith("coffee.png", StringComparison.Ordinal)), 8);
        var source = ConstantNodeModels.ResNet18;
        Assert.Empty(ModelReader.Read(source).Proto.Graph.Initializer);

        var report = Compressor.Run(new CompressionRequest { Input = source, Output = temp.File("out.onnx"), Profile = Avx2, Quantize = "int8-static", CalibrationFolder = photos });

        output.WriteLine($"{report.InputBytes:N0} → {report.OutputBytes:N0} bytes ({report.SizeRatio:P1}), cosine {report.Evaluation.Outputs[0].MeanCosine:F5}");
        Assert.Equal(ModelReader.Read(source).Proto.Graph.Node.Count(n => n.OpType == "Constant"),
            report.Passes.Single(p => p.Result.Pass == "constant-initializers").Result.Counters["constantsConverted"]);
        Assert.InRange(report.SizeRatio, 0.2, 0.27);
        var shipped = ModelReader.Read(report.Output);
        Assert.DoesNotContain(shipped.Proto.Graph.Node, n => n.OpType == "Constant");
        Assert.DoesNotContain(shipped.Graph.Weights(), w => w.DataType == 1 && w.Elements > 100_000); // no float weight left behind
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void Dynamic_int8_of_the_mlp_whose_weights_are_Constant_nodes_shrinks_it()
    {
        using var temp = new TempDirectory();
        var report = Compressor.Run(new CompressionRequest { Input = ConstantNodeModels.MnistMlp, Output = temp.File("out.onnx"), Profile = Avx2, Quantize = "int8-dynamic" });

        output.WriteLine($"{report.InputBytes:N0} → {report.OutputBytes:N0} bytes ({report.SizeRatio:P1})");
        Assert.InRange(report.SizeRatio, 0.2, 0.3);
        Assert.DoesNotContain(ModelReader.Read(report.Output).Proto.Graph.Node, n => n.OpType == "Constant");
    }

    /// <summary>ResNet-18 has no MatMul or Gemm: dynamic INT8 quantizes nothing, so the original file ships, byte for byte,
    /// with warning DSB0081 naming the recipes that would help (static INT8 for its convolutions, fp16).</summary>
    [Fact]
    public void A_recipe_that_quantizes_nothing_ships_the_original_with_DSB0081()
    {
        using var temp = new TempDirectory();
        var source = ConstantNodeModels.ResNet18;
        var report = Compressor.Run(new CompressionRequest { Input = source, Output = temp.File("out.onnx"), Profile = Avx2, Quantize = "int8-dynamic" });

        var warning = Assert.Single(report.Warnings);
        output.WriteLine(warning);
        Assert.StartsWith("DSB0081: int8-dynamic quantized nothing", warning, StringComparison.Ordinal);
        Assert.Contains("int8-static with a Calibration folder", warning, StringComparison.Ordinal);
        Assert.Contains("fp16", warning, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(report.Output));
        Assert.Empty(report.SessionOptions);
        Assert.True(report.Evaluation.Outputs[0].MeanCosine > 0.999999);
        Assert.Contains("<p class=\"warning\">DSB0081: int8-dynamic quantized nothing", DeepSeek.Engine.Compression.Reports.HtmlReportWriter.Render(report, null), StringComparison.Ordinal);
    }

    /// <summary>A model whose weights are too small for int8 to pay for its scales and nodes: int8-dynamic grows the file, so it
    /// is refused with DSB0080 and nothing is written; with auto the next recipe is tried.</summary>
    [Fact]
    public void A_compressed_model_that_is_not_smaller_is_refused_with_DSB0080()
    {
        using var temp = new TempDirectory();
        var source = new ModelBuilder(8, 13).Input("x", "N", 8).Initializer("w", ModelBuilder.Random(8 * 8, 1), 8, 8)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "N", 8).Save(temp.File("tiny.onnx"));
        var request = new CompressionRequest { Input = source, Output = temp.File("out.onnx"), Profile = Avx2, Quantize = "int8-dynamic" };

        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(request));

        output.WriteLine(e.Message);
        Assert.Equal("DSB0080", e.Id);
        Assert.Contains($"not fewer than the source's {new FileInfo(source).Length:N0}", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.Output));
        var auto = Compressor.Run(request with { Quantize = "auto" });
        Assert.Contains(auto.Attempts, a => a.StartsWith("int8-dynamic:", StringComparison.Ordinal) && a.Contains("not fewer than", StringComparison.Ordinal));
        Assert.True(auto.OutputBytes <= new FileInfo(source).Length);
    }
}
