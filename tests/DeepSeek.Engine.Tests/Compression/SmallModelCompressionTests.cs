using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>One-feature checks of the engine on small built models (synthetic weights; real-model figures are in the ResNet tests).</summary>
public sealed class SmallModelCompressionTests
{
    private static CompressionReport Compress(TempDirectory temp, string model, string quantize, string profile = "x64-avx2", string? calibration = null, string? budget = null)
        => Compressor.Run(new CompressionRequest
        {
            Input = model,
            Output = temp.File("out.onnx"),
            Profile = ProfileCatalog.BuiltIn.Get(profile),
            Quantize = quantize,
            CalibrationFolder = calibration,
            Budget = budget is null ? null : Verification.AccuracyBudget.Parse(budget),
        });

    /// <summary>An MLP whose MatMul weights both live in Constant nodes, with a symbolic batch dim.</summary>
    private static string ConstantWeightMlp(TempDirectory temp)
    {
        var builder = new ModelBuilder(irVersion: 8, opset: 13)
            .Input("x", "batch", 64)
            .Constant("w1", ModelBuilder.Random(64 * 32, 1, 0.2f), 64, 32)
            .Constant("w2", ModelBuilder.Random(32 * 10, 2, 0.2f), 32, 10)
            .Node("MatMul", ["x", "w1"], ["h"])
            .Node("Relu", ["h"], ["r"])
            .Node("MatMul", ["r", "w2"], ["y"])
            .Output("y", "batch", 10);
        return builder.Save(temp.File("constant-mlp.onnx"));
    }

    private static string Samples(TempDirectory temp, int count, int batch = 3)
    {
        var folder = Directory.CreateDirectory(temp.File("data")).FullName;
        for (var i = 0; i < count; i++)
        {
            NpyWriter.Write(Path.Combine(folder, $"s{i:D2}.npy"), TensorValue.Create(ModelBuilder.Random(batch * 64, 100 + i), batch, 64));
        }

        return folder;
    }

    [Theory]
    [InlineData("x64-avx2", 7)]
    [InlineData("arm64-neon", 8)]
    public void Dynamic_int8_quantizes_weights_in_constant_nodes_keeps_symbolic_dims_and_still_runs(string profile, int bits)
    {
        using var temp = new TempDirectory();
        var model = ConstantWeightMlp(temp);
        var report = Compress(temp, model, "int8-dynamic", profile, Samples(temp, 4));

        var pass = report.Passes.Single(p => p.Result.Pass == "int8-dynamic").Result;
        Assert.Equal(2, pass.Counters["nodes"]);
        Assert.Equal(bits, pass.Counters["weightBits"]);
        var written = ModelReader.Read(temp.File("out.onnx"));
        Assert.Equal("batch", written.Graph.Inputs.Single().Shape![0].Symbol);
        Assert.Equal(2, written.Graph.Nodes.Count(n => n.OpType == "MatMulInteger"));
        Assert.DoesNotContain(written.Graph.Nodes, n => n.OpType == "MatMul");
        Assert.All(written.Proto.Graph.Initializer.Where(t => t.Name.EndsWith("_quantized", StringComparison.Ordinal)),
            t => Assert.Equal((int)TensorProto.Types.DataType.Int8, t.DataType));

        // Runs with a batch size the model never saw at compression time.
        using var original = ModelSession.Open(model, null);
        // As verification runs it: an arm64 model's 8-bit weights saturate this machine's u8s8 kernels if it is x64 without VNNI.
        using var compressed = ModelSession.Open(temp.File("out.onnx"), Compressor.VerificationOptions(report.SessionOptions, ProfileCatalog.BuiltIn.Get(profile)));
        var x = new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(ModelBuilder.Random(5 * 64, 77), 5, 64) };
        var expected = original.Run(x)["y"].GetData<float>();
        var actual = compressed.Run(x)["y"].GetData<float>();
        Assert.Equal(50, actual.Length);
        Assert.True(report.Evaluation.Outputs[0].MeanCosine > 0.99, $"cosine {report.Evaluation.Outputs[0].MeanCosine}");
        var peak = expected.Max(MathF.Abs);
        Assert.All(expected.Zip(actual), p => Assert.InRange(p.Second, p.First - (0.1f * peak), p.First + (0.1f * peak)));
    }

    [Fact]
    public void Fp16_halves_weights_in_initializers_and_constant_nodes()
    {
        using var temp = new TempDirectory();
        var model = ConstantWeightMlp(temp);
        var report = Compress(temp, model, "fp16");
        Assert.Equal(2, report.Passes.Single(p => p.Result.Pass == "fp16-weights").Result.Counters["tensors"]);
        Assert.True(report.Evaluation.Outputs[0].MeanCosine > 0.9999);
        Assert.Equal("random", report.Evaluation.Data);
    }

    [Fact]
    public void Static_int8_without_calibration_data_is_refused_with_DSB0064_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var model = ConstantWeightMlp(temp);
        var e = Assert.Throws<DeepSeekException>(() => Compress(temp, model, "int8-static"));
        Assert.Equal("DSB0064", e.Id);
        Assert.Equal(["constant-mlp.onnx"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missed_budget_is_DSB0063_and_leaves_no_output()
    {
        using var temp = new TempDirectory();
        // Weights with one huge outlier per column: 7-bit quantization flattens everything else to zero.
        var w = ModelBuilder.Random(64 * 10, 5, 0.01f);
        for (var c = 0; c < 10; c++)
        {
            w[c] = 100f;
        }

        var model = new ModelBuilder(8, 13).Input("x", "batch", 64).Initializer("w", w, 64, 10).Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", 10).Save(temp.File("outlier.onnx"));
        var before = File.ReadAllBytes(model);
        var data = Samples(temp, 6);
        var e = Assert.Throws<DeepSeekException>(() => Compress(temp, model, "int8-dynamic", calibration: data, budget: "0%"));
        Assert.Equal("DSB0063", e.Id);
        Assert.False(File.Exists(temp.File("out.onnx")));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*"));
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Fact]
    public void The_source_model_cannot_be_the_output()
    {
        using var temp = new TempDirectory();
        var model = ConstantWeightMlp(temp);
        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(new CompressionRequest { Input = model, Output = model, Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "fp16" }));
        Assert.Equal("DSB0041", e.Id);
    }

    /// <summary>The compressed model's external data goes to &lt;output&gt;.data: when that is the source's own data file, the
    /// compression is refused before anything is written (else the source's weights would be overwritten).</summary>
    [Fact]
    public void The_outputs_data_file_cannot_be_the_sources()
    {
        using var temp = new TempDirectory();
        var source = temp.File("a.onnx");
        DeepSeek.Onnx.IO.ModelReader.Read(TestAssets.MnistMlp).Save(source,
            new DeepSeek.Onnx.IO.ModelWriteOptions { ExternalData = DeepSeek.Onnx.IO.ExternalDataMode.SeparateFile, ExternalDataFileName = "b.onnx.data" });
        var before = File.ReadAllBytes(temp.File("b.onnx.data"));

        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(new CompressionRequest { Input = source, Output = temp.File("b.onnx"), Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "int8-dynamic" }));

        Assert.Equal("DSB0041", e.Id);
        Assert.Contains("would write its external data over the source's 'b.onnx.data'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(temp.File("b.onnx.data")));
        Assert.False(File.Exists(temp.File("b.onnx")));
    }
}

public sealed class AutoRecipeTests
{
    [Fact]
    public void Auto_rejects_a_recipe_that_misses_the_budget_and_says_why()
    {
        using var temp = new TempDirectory();
        var w = ModelBuilder.Random(64 * 10, 5, 0.01f);
        for (var c = 0; c < 10; c++)
        {
            w[c] = 100f; // one outlier row: 7-bit int8 flattens every other weight to zero
        }

        var model = new ModelBuilder(8, 13).Input("x", "batch", 64).Initializer("w", w, 64, 10).Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", 10).Save(temp.File("outlier.onnx"));
        var data = Directory.CreateDirectory(temp.File("data")).FullName;
        for (var i = 0; i < 6; i++)
        {
            NpyWriter.Write(Path.Combine(data, $"s{i}.npy"), TensorValue.Create(ModelBuilder.Random(3 * 64, 100 + i), 3, 64));
        }

        var request = new CompressionRequest
        {
            Input = model,
            Output = temp.File("out.onnx"),
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "auto",
            CalibrationFolder = data,
            Budget = Verification.AccuracyBudget.Parse("5%"),
        };
        var report = Compressor.Run(request);

        // int8-dynamic flattens the weights and misses; the next candidate, fp16, keeps them and ships.
        Assert.Equal("fp16", report.Recipe);
        Assert.StartsWith("int8-dynamic: ", Assert.Single(report.Attempts), StringComparison.Ordinal);
        Assert.True(report.Evaluation.Outputs[0].Top1Agreement >= 0.95);
        Assert.True(File.Exists(temp.File("out.onnx")));

        // With no budget given the default 1% does the same, and the rejection says it was the default.
        var byDefault = Compressor.Run(request with { Budget = Verification.AccuracyBudget.Default });
        Assert.Equal("fp16", byDefault.Recipe);
        var attempt = Assert.Single(byDefault.Attempts);
        Assert.StartsWith("int8-dynamic: ", attempt, StringComparison.Ordinal);
        Assert.Contains("a 1% (default) budget requires", attempt, StringComparison.Ordinal);
        Assert.Equal("1% (default): met", byDefault.Budget);
    }
}
