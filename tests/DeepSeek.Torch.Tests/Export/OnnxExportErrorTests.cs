using DeepSeek.Testing;
using DeepSeek.Torch.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Export;

/// <summary>What cannot be exported fails with a diagnostic that names the module, and writes nothing.</summary>
public sealed class OnnxExportErrorTests
{
    [Fact]
    public void Unsupported_module_in_a_nested_Sequential_is_DSB0071_naming_its_path_and_type_and_no_file_is_written()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(
            ("features", nn.Sequential(("fc", nn.Linear(4, 4)), ("embed", nn.Embedding(10, 4)))),
            ("head", nn.Linear(4, 2)));
        using var x = randn(2, 4);

        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.Equal("DSB0071", error.DiagnosticId);
        Assert.Equal("features.embed", error.ModulePath);
        Assert.Equal(
            "DSB0071: features.embed ('Embedding') cannot be exported to ONNX — use the supported layers listed in docs/torch.md, or export from PyTorch",
            error.Message);
        Assert.EndsWith("docs/diagnostics.md#dsb0071", error.HelpLink, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Weights_holding_NaN_or_infinity_are_DSB0074_naming_the_module_and_tensor_and_no_file_is_written()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(("features", nn.Sequential(("conv", nn.Conv2d(1, 2, 3)))), ("flatten", nn.Flatten()), ("head", nn.Linear(8, 2)));
        using (no_grad())
        {
            var conv = (TorchSharp.Modules.Conv2d)module.named_modules().Single(m => m.name == "features.conv").module;
            conv.weight![0, 0, 1, 1] = float.NaN;
            conv.weight![1, 0, 2, 2] = float.PositiveInfinity;
        }

        using var x = randn(1, 1, 4, 4);
        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.Equal("DSB0074", error.DiagnosticId);
        Assert.Equal("features.conv", error.ModulePath);
        Assert.StartsWith("DSB0074: features.conv ('Conv2d') holds 2 NaN/infinite values in 'weight' [2,1,3,3]", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));

        // a finite model of the same shape exports
        using var finite = nn.Sequential(("features", nn.Sequential(("conv", nn.Conv2d(1, 2, 3)))), ("flatten", nn.Flatten()), ("head", nn.Linear(8, 2)));
        OnnxExporter.Export(finite, x, directory.File("model.onnx"));
        Assert.True(File.Exists(directory.File("model.onnx")));
    }

    [Fact]
    public void Unsupported_root_module_is_DSB0071_at_the_root()
    {
        using var directory = new TempDirectory();
        using var module = nn.LayerNorm(4);
        using var x = randn(2, 4);

        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.StartsWith("DSB0071: (root) ('LayerNorm') cannot be exported to ONNX", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Subclass_of_a_supported_layer_is_not_taken_for_it()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(("custom", new DoublingSequential()));
        using var x = randn(2, 4);

        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.Equal("DSB0071", error.DiagnosticId);
        Assert.Contains("custom ('DoublingSequential')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reflect_padding_is_DSB0072_and_no_file_is_written()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(("conv", nn.Conv2d(1, 2, 3, padding: 1, padding_mode: PaddingModes.Reflect)));
        using var x = randn(1, 1, 8, 8);

        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.Equal("DSB0072", error.DiagnosticId);
        Assert.Equal(
            "DSB0072: conv ('Conv2d') cannot be exported to ONNX with padding_mode Reflect — use zero padding (PaddingModes.Zeros, the default), or export from PyTorch",
            error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Adaptive_pooling_that_does_not_divide_the_input_is_DSB0072()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(("pool", nn.AdaptiveAvgPool2d(3)));
        using var x = randn(1, 2, 7, 7);

        var error = Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, directory.File("model.onnx")));

        Assert.Equal("DSB0072", error.DiagnosticId);
        Assert.Contains("output size 3x3 on a 7x7 input", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_export_keeps_the_training_flag_and_an_existing_file()
    {
        using var directory = new TempDirectory();
        var path = directory.File("model.onnx");
        File.WriteAllText(path, "previous");
        using var module = nn.Sequential(("fc", nn.Linear(4, 4)), ("embed", nn.Embedding(10, 4)));
        module.train();
        using var x = randn(2, 4);

        Assert.Throws<DeepSeekTorchException>(() => OnnxExporter.Export(module, x, path));

        Assert.True(module.training);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(directory.Path));
    }

    /// <summary>A Sequential whose forward is not Sequential's: exporting its children in a row would be wrong.</summary>
    private sealed class DoublingSequential() : TorchSharp.Modules.Sequential([("fc", nn.Linear(4, 4))])
    {
        public override Tensor forward(Tensor input) => base.forward(input) * 2;
    }
}
