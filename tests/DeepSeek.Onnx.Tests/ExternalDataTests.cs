using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

public sealed class ExternalDataTests
{
    private static readonly float[] Input = ModelBuilder.Random(4 * 8, seed: 11);

    [Fact]
    public void Weights_written_to_an_external_file_are_read_back_and_run_identically_in_onnx_runtime()
    {
        using var temp = new TempDirectory();
        var (inline, external) = MlpFiles.Write(temp);

        Assert.True(File.Exists(external + ".data"));
        var model = OnnxModel.Load(external);
        Assert.True(model.HasExternalData);
        var initializers = model.Graph.Initializers;
        Assert.All(initializers, t => Assert.True(ExternalDataInfo.IsExternal(t)));
        Assert.All(initializers, t => Assert.False(t.HasRawData));
        Assert.All(initializers, t => Assert.Equal(0, ExternalDataInfo.Parse(t, external).Offset % 4096));
        // (8*16 + 16*4) floats, each tensor aligned to 4096 bytes
        Assert.Equal(4096 + (16 * 4 * 4), new FileInfo(external + ".data").Length);

        var summary = ModelInspector.Inspect(model);
        var externalGroup = Assert.Single(summary.Parameters.ByLocation, g => g.Key == "external");
        Assert.Equal((8 * 16) + (16 * 4), externalGroup.Count);
        Assert.Equal(16, Assert.Single(summary.Parameters.ByLocation, g => g.Key == "constant-node").Count);
        Assert.Equal(["external.onnx.data"], summary.Parameters.ExternalFiles);

        var expected = Ort.Run(inline, "x", Input, [4, 8]).Single();
        Assert.Equal(expected, Ort.Run(external, "x", Input, [4, 8]).Single());
    }

    [Fact]
    public void An_external_model_written_inline_equals_the_original_bytes()
    {
        using var temp = new TempDirectory();
        var (inline, external) = MlpFiles.Write(temp);
        var back = temp.File("back.onnx");
        OnnxModel.Load(external).Save(back, new ModelWriteOptions { ExternalData = ExternalDataMode.Inline });

        Assert.Equal(File.ReadAllBytes(inline), File.ReadAllBytes(back));
    }

    [Fact]
    public void An_external_model_copied_to_another_folder_takes_its_data_along()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var (inline, external) = MlpFiles.Write(source);

        var copy = target.File("copy.onnx");
        OnnxModel.Load(external).Save(copy); // Auto keeps external data, in a file named after the new model
        Assert.True(File.Exists(copy + ".data"));
        Assert.True(OnnxModel.Load(copy).HasExternalData);
        Assert.Equal(Ort.Run(inline, "x", Input, [4, 8]).Single(), Ort.Run(copy, "x", Input, [4, 8]).Single());
    }

    [Fact]
    public void Small_tensors_stay_inline_below_the_threshold()
    {
        using var temp = new TempDirectory();
        // w1 is 512 bytes, w2 256 bytes: with a 300-byte threshold only w1 goes out.
        var external = MlpFiles.Write(temp, externalThreshold: 300).External;
        var model = OnnxModel.Load(external);
        Assert.True(ExternalDataInfo.IsExternal(model.Graph.Initializers.Single(t => t.Name == "w1")));
        Assert.False(ExternalDataInfo.IsExternal(model.Graph.Initializers.Single(t => t.Name == "w2")));
        Assert.Equal(512, new FileInfo(external + ".data").Length);
    }

    [Fact]
    public void ResNet18_with_external_weights_runs_identically()
    {
        using var temp = new TempDirectory();
        var external = temp.File("resnet18.onnx");
        OnnxModel.Load(TestAssets.ResNet18).Save(external, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile });
        Assert.True(new FileInfo(external).Length < 1 << 20, "the graph alone should be small");
        Assert.True(new FileInfo(external + ".data").Length > 60_000_000);

        var summary = ModelInspector.Inspect(OnnxModel.Load(external));
        Assert.Equal(ModelInspector.Inspect(OnnxModel.Load(TestAssets.ResNet18)).Parameters.Count, summary.Parameters.Count);
        var image = PngImage.Load(TestAssets.Images[0]).ToNchw(224);
        var input = summary.Inputs.Single().Name;
        Assert.Equal(Ort.Run(TestAssets.ResNet18, input, image, [1, 3, 224, 224]).Single(), Ort.Run(external, input, image, [1, 3, 224, 224]).Single());
    }

    [Fact]
    public void The_writer_never_overwrites_the_source_model_or_its_data()
    {
        using var temp = new TempDirectory();
        var (inline, external) = MlpFiles.Write(temp);
        var before = File.ReadAllBytes(inline);
        var e = Assert.Throws<Diagnostics.DeepSeekException>(() => OnnxModel.Load(inline).Save(inline));
        Assert.Equal("DSB0041", e.Id);
        Assert.Equal(before, File.ReadAllBytes(inline));

        var data = File.ReadAllBytes(external + ".data");
        e = Assert.Throws<Diagnostics.DeepSeekException>(() => OnnxModel.Load(external).Save(temp.File("other.onnx"),
            new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = "external.onnx.data" }));
        Assert.Equal("DSB0041", e.Id);
        Assert.Equal(data, File.ReadAllBytes(external + ".data"));
        Assert.False(File.Exists(temp.File("other.onnx")));
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(temp.Path, ".*")));
    }

    [Fact]
    public void A_cancelled_write_leaves_no_output_and_no_temporary_file()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(ModelBuilder.Mlp(8, 13).Save(temp.File("inline.onnx")));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => ModelWriter.Write(model, temp.File("out.onnx"),
            new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataThreshold = 0 }, cancelled.Token));
        Assert.Equal(["inline.onnx"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }
}
