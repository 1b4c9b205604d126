using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// The operator forms the passes emit are the ones ONNX Runtime turns into its quantized kernels: the graph ORT optimizes
/// (saved with <c>optimized_model_filepath</c>, for inspection only, never shipped) holds QLinearConv, QLinearAdd...
/// </summary>
public sealed class RuntimeFusionTests
{
    private static ModelProto OptimizedByOrt(string model, IReadOnlyDictionary<string, string> sessionOptions, string saveAs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = saveAs };
        foreach (var (key, value) in sessionOptions)
        {
            options.AddSessionConfigEntry(key, value);
        }

        using (new InferenceSession(model, options))
        {
        }

        return ModelReader.Read(saveAs, new ModelReadOptions { Validate = false }).Proto;
    }

    [Theory]
    [InlineData("x64-avx2")]
    [InlineData("arm64-neon")]
    public void Static_int8_cnn_runs_on_quantized_kernels_with_the_profiles_activation_type(string profile)
    {
        using var temp = new TempDirectory();
        var calibration = MnistDigits.WriteDataFolder(temp.File("calibration"), MnistDigits.Training.Take(32), cnnLayout: true);
        var output = temp.File("cnn.int8.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.MnistCnn, Output = output, Profile = ProfileCatalog.BuiltIn.Get(profile), Quantize = "int8-static", CalibrationFolder = calibration,
        });

        // Activations: uint8 zero points for U8S8 (x64), int8 for S8S8 (arm64); weights always int8.
        var written = ModelReader.Read(output).Proto.Graph;
        var activationType = profile == "x64-avx2" ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Int8;
        var quantizers = written.Node.Where(n => n.OpType == "QuantizeLinear").ToArray();
        Assert.NotEmpty(quantizers);
        Assert.All(quantizers, q => Assert.Equal((int)activationType, written.Initializer.Single(t => t.Name == q.Input[2]).DataType));

        var optimized = OptimizedByOrt(output, report.SessionOptions, temp.File("optimized.onnx")).Graph.Node.Select(n => n.OpType).ToArray();
        Assert.Equal(2, optimized.Count(op => op == "QLinearConv"));
        Assert.DoesNotContain("Conv", optimized);
        Assert.Contains(optimized, op => op is "QLinearMatMul" or "MatMulIntegerToFloat" or "QGemm");
        Assert.True(report.Evaluation.Outputs[0].Top1Agreement >= 0.95);
    }

    [Fact]
    public void Dynamic_int8_mlp_fuses_into_DynamicQuantizeMatMul()
    {
        using var temp = new TempDirectory();
        var output = temp.File("mlp.int8.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.MnistMlp, Output = output, Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "int8-dynamic",
            CalibrationFolder = MnistDigits.WriteDataFolder(temp.File("digits"), MnistDigits.HeldOut.Take(32).ToList(), cnnLayout: false),
        });

        var optimized = OptimizedByOrt(output, report.SessionOptions, temp.File("optimized.onnx")).Graph.Node.Select(n => n.OpType).ToArray();
        Assert.Equal(2, optimized.Count(op => op == "DynamicQuantizeMatMul"));
        Assert.DoesNotContain("MatMulInteger", optimized);
    }

    [Fact]
    public void A_cancelled_compression_writes_nothing()
    {
        using var temp = new TempDirectory();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.MnistMlp, Output = temp.File("out.onnx"), Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "fp16",
        }, null, cancelled.Token));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }
}
