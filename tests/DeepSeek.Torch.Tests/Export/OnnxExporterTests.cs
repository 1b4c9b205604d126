using DeepSeek.Onnx.Model;
using DeepSeek.Testing;
using DeepSeek.Torch.Export;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Export;

/// <summary>Every exported model runs in ONNX Runtime and gives TorchSharp's outputs on the same input.</summary>
public sealed class OnnxExporterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(17)] // GELU as the erf and tanh formulas
    [InlineData(20)] // GELU as the Gelu operator
    public void Mlp_with_every_activation_matches_TorchSharp(int opset)
    {
        using var directory = new TempDirectory();
        using var mlp = TestModels.Mlp();
        manual_seed(10);
        using var x = randn(4, 16) * 2;

        var error = ExportCheck.ExportAndCompare(mlp, x, directory.File("mlp.onnx"), options: new OnnxExportOptions { Opset = opset });

        output.WriteLine($"MLP, opset {opset}: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var model = OnnxModel.Load(directory.File("mlp.onnx"));
        Assert.Equal("DeepSeek.Torch", model.Proto.ProducerName);
        Assert.Equal(opset, model.GetOpsetVersion(""));
        var operators = model.Proto.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains("Gemm", operators);
        Assert.Equal(opset >= 20, operators.Contains("Gelu"));
        Assert.Equal(opset < 20, operators.Contains("Erf"));
        Assert.Contains(model.Proto.Graph.Initializer, i => i.Name == "fc1_weight");
    }

    [Fact]
    public void Linear_on_a_3D_input_exports_as_MatMul_and_Add()
    {
        using var directory = new TempDirectory();
        manual_seed(11);
        using var module = nn.Sequential(("proj", nn.Linear(6, 5)), ("act", nn.GELU()), ("flatten", nn.Flatten(1, 2)));
        using var x = randn(2, 3, 6);

        var error = ExportCheck.ExportAndCompare(module, x, directory.File("tokens.onnx"));

        output.WriteLine($"Linear on [N,T,F]: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var operators = OnnxModel.Load(directory.File("tokens.onnx")).Proto.Graph.Node.Select(n => n.OpType).ToArray();
        Assert.Contains("MatMul", operators);
        Assert.DoesNotContain("Gemm", operators);
    }

    [Fact]
    public void Cnn_with_batch_norm_statistics_matches_TorchSharp_and_keeps_its_training_flag()
    {
        using var directory = new TempDirectory();
        using var cnn = TestModels.Cnn();
        manual_seed(12);
        ExportCheck.TrainBatchNorm(cnn, () => (rand(8, 1, 28, 28) * 3) + 1);
        var bn1 = cnn.named_modules().Single(m => m.name == "features.bn1").module as BatchNorm2d;
        Assert.True(bn1!.running_mean!.abs().max().item<float>() > 0.1f, "running statistics should be non-trivial");
        using var x = rand(3, 1, 28, 28);

        cnn.train();
        OnnxExporter.Export(cnn, x, directory.File("cnn.onnx"));
        Assert.True(cnn.training);
        Assert.All(cnn.modules(), m => Assert.True(m.training));
        var error = ExportCheck.Compare(cnn, directory.File("cnn.onnx"), x);

        output.WriteLine($"CNN: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var operators = OnnxModel.Load(directory.File("cnn.onnx")).Proto.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Superset(new HashSet<string> { "Conv", "BatchNormalization", "MaxPool", "AveragePool", "Flatten", "Gemm" }, operators);
    }

    [Fact]
    public void Cnn_on_held_out_MNIST_digits_matches_TorchSharp()
    {
        using var directory = new TempDirectory();
        using var cnn = TestModels.Cnn();
        var training = MnistDigits.Training.Take(64).ToArray();
        using var trainingBatch = tensor(MnistDigits.Batch(training)).reshape(training.Length, 1, 28, 28);
        ExportCheck.TrainBatchNorm(cnn, () => trainingBatch);
        var digits = MnistDigits.HeldOut.Take(100).ToArray();
        using var x = tensor(MnistDigits.Batch(digits)).reshape(digits.Length, 1, 28, 28);

        var error = ExportCheck.ExportAndCompare(cnn, x[..1], directory.File("mnist-cnn.onnx"), input: x);

        output.WriteLine($"CNN on {digits.Length} held-out MNIST digits: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
    }

    [Fact]
    public void Residual_network_with_identity_and_projection_shortcuts_matches_TorchSharp()
    {
        using var directory = new TempDirectory();
        using var net = TestModels.ResidualNet();
        manual_seed(13);
        ExportCheck.TrainBatchNorm(net, () => (randn(4, 3, 16, 16) * 2) + 0.5);
        using var x = randn(2, 3, 16, 16);

        var error = ExportCheck.ExportAndCompare(net, x, directory.File("resnet.onnx"));

        output.WriteLine($"Residual network: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var graph = OnnxModel.Load(directory.File("resnet.onnx")).Proto.Graph;
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "Add"));
        Assert.Contains(graph.Node, n => n.OpType == "GlobalAveragePool");
        Assert.Contains(graph.Initializer, i => i.Name == "block2_shortcut_conv_weight");
    }

    [Fact]
    public void Model_exported_with_batch_1_runs_on_batch_5()
    {
        using var directory = new TempDirectory();
        using var net = TestModels.ResidualNet();
        manual_seed(14);
        ExportCheck.TrainBatchNorm(net, () => randn(4, 3, 16, 16) + 1);
        using var x = randn(5, 3, 16, 16);

        var error = ExportCheck.ExportAndCompare(net, x[..1], directory.File("dynamic.onnx"), input: x);

        output.WriteLine($"Exported with batch 1, run with batch 5: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var model = OnnxModel.Load(directory.File("dynamic.onnx"));
        Assert.Equal("batch", model.Proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", model.Proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(5, model.Proto.Graph.Output[0].Type.TensorType.Shape.Dim[1].DimValue);
    }

    [Fact]
    public void Fixed_batch_keeps_the_sample_shape_and_custom_names()
    {
        using var directory = new TempDirectory();
        using var mlp = TestModels.Mlp();
        using var x = randn(3, 16);
        var options = new OnnxExportOptions { DynamicBatch = false, InputName = "features", OutputName = "probabilities" };

        var error = ExportCheck.ExportAndCompare(mlp, x, directory.File("fixed.onnx"), options: options);

        Assert.InRange(error, 0, ExportCheck.Tolerance);
        var graph = OnnxModel.Load(directory.File("fixed.onnx")).Proto.Graph;
        Assert.Equal("features", graph.Input[0].Name);
        Assert.Equal(3, graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue);
        Assert.Equal("probabilities", graph.Output[0].Name);
        Assert.Equal(3, graph.Output[0].Type.TensorType.Shape.Dim[0].DimValue);
    }

    [Theory]
    [InlineData("max k3 s2 p1 ceil", 9)]
    [InlineData("max k2 s2 p1 ceil", 7)]
    [InlineData("max k3 s1 p1 d2", 8)]
    [InlineData("avg k2 s2 p1 ceil include", 7)]
    [InlineData("avg k2 s2 p1 ceil exclude", 7)]
    [InlineData("avg k3 s2 p1 include", 8)]
    [InlineData("avg k3 s2 p1 ceil exclude", 8)]
    [InlineData("avg k3 s2 p1 ceil include", 8)]
    [InlineData("adaptive 3", 9)]
    [InlineData("flatten 2 3", 6)]
    [InlineData("flatten 0 1", 6)]
    [InlineData("valid k3", 6)]
    public void Pooling_padding_and_flatten_settings_match_TorchSharp(string setting, int size)
    {
        using var directory = new TempDirectory();
        var parts = setting.Split(' ');
        long Number(char prefix) => parts.Where(p => p.Length > 1 && p[0] == prefix && char.IsDigit(p[1])).Select(p => long.Parse(p[1..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).First();
        nn.Module<Tensor, Tensor> layer = parts[0] switch
        {
            "max" => nn.MaxPool2d(Number('k'), Number('s'), Number('p'), Math.Max(1, Number('d')), ceil_mode: parts.Contains("ceil")),
            "avg" => nn.AvgPool2d(Number('k'), Number('s'), Number('p'), ceil_mode: parts.Contains("ceil"), count_include_pad: parts.Contains("include")),
            "adaptive" => nn.AdaptiveAvgPool2d(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)),
            "flatten" => nn.Flatten(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)),
            _ => nn.Conv2d(2, 3, 3, Padding.Valid),
        };
        using var module = nn.Sequential(("layer", layer));
        manual_seed(15);
        using var x = randn(2, 2, size, size);

        var error = ExportCheck.ExportAndCompare(module, x, directory.File("layer.onnx"));

        output.WriteLine($"{setting} on {size}x{size}: max abs error {error:E2}");
        Assert.InRange(error, 0, ExportCheck.Tolerance);
    }

    [Fact]
    public void Identity_only_model_gets_an_Identity_node()
    {
        using var directory = new TempDirectory();
        using var module = nn.Sequential(("drop", nn.Dropout(0.5)));
        using var x = randn(2, 4);

        var error = ExportCheck.ExportAndCompare(module, x, directory.File("identity.onnx"));

        Assert.Equal(0, error);
        Assert.Equal("Identity", Assert.Single(OnnxModel.Load(directory.File("identity.onnx")).Proto.Graph.Node).OpType);
    }
}
