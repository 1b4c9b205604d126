using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Mnist;

/// <summary>
/// The project's MNIST classifiers (tests/data/mnist, trained by tests/DeepSeek.Mnist.Trainer) compressed per recipe,
/// calibrated on training digits and scored on the 2,000 held-out labelled digits in ONNX Runtime.
/// </summary>
public sealed class MnistCompressionTests(ITestOutputHelper output, MnistCompressionTests.Folders folders) : IClassFixture<MnistCompressionTests.Folders>
{
    public sealed class Folders : IDisposable
    {
        public Folders()
        {
            CalibrationCnn = MnistDigits.WriteDataFolder(Temp.File("calibration-cnn"), MnistDigits.Training.Take(128), cnnLayout: true);
            CalibrationMlp = MnistDigits.WriteDataFolder(Temp.File("calibration-mlp"), MnistDigits.Training.Take(128), cnnLayout: false);
            HeldOutCnn = MnistDigits.WriteDataFolder(Temp.File("held-out-cnn"), MnistDigits.HeldOut, cnnLayout: true);
            HeldOutMlp = MnistDigits.WriteDataFolder(Temp.File("held-out-mlp"), MnistDigits.HeldOut, cnnLayout: false);
        }

        public TempDirectory Temp { get; } = new();

        public string CalibrationCnn { get; }

        public string CalibrationMlp { get; }

        public string HeldOutCnn { get; }

        public string HeldOutMlp { get; }

        public void Dispose() => Temp.Dispose();
    }

    private static string Fixture(string name) => Path.Combine(TestAssets.DataDirectory, "mnist", name);

    [Fact]
    public void Cnn_int8_static_loses_at_most_0_3_points()
        => AssertLoss("mnist-cnn.onnx", "int8-static", folders.CalibrationCnn, folders.HeldOutCnn, 0.3);

    [Fact]
    public void Mlp_int8_dynamic_loses_at_most_0_5_points()
        => AssertLoss("mnist-mlp.onnx", "int8-dynamic", folders.CalibrationMlp, folders.HeldOutMlp, 0.5);

    [Fact]
    public void Mlp_int4_block_32_loses_at_most_1_5_points()
        => AssertLoss("mnist-mlp.onnx", "int4", folders.CalibrationMlp, folders.HeldOutMlp, 1.5);

    private void AssertLoss(string fixture, string quantize, string calibration, string heldOut, double maxPoints)
    {
        using var temp = new TempDirectory();
        var compressed = temp.File("out.onnx");
        var report = Compressor.Run(new CompressionRequest
        {
            Input = Fixture(fixture),
            Output = compressed,
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = quantize,
            CalibrationFolder = calibration,
        });

        var set = DataSet.Load(heldOut, ModelReader.Read(Fixture(fixture)).Graph.Inputs);
        Assert.Equal(MnistDigits.HeldOutCount, set.Samples.Count);
        Assert.True(set.HasLabels);
        using var original = ModelSession.Open(Fixture(fixture), null);
        using var quantized = ModelSession.Open(compressed, report.SessionOptions);
        var result = Evaluator.Compare(original, quantized, set.Samples.Select(s => s.Inputs).ToList(), set.Samples.Select(s => s.Label!.Value).ToList(), heldOut, compressed);

        output.WriteLine($"{fixture} {quantize}: {report.InputBytes:N0} → {report.OutputBytes:N0} bytes ({report.SizeRatio:P1}); held-out accuracy {result.OriginalAccuracy:P2} → {result.CompressedAccuracy:P2} ({result.AccuracyDrop:F2} points), top-1 agreement {result.Outputs[0].Top1Agreement:P2}; {report.Passes[^1].Result.Summary}");
        Assert.True(report.SizeRatio < 0.5, $"size ratio {report.SizeRatio:P1}");
        Assert.True(result.OriginalAccuracy > 0.9);
        Assert.True(result.AccuracyDrop <= maxPoints, $"{quantize} lost {result.AccuracyDrop:F2} points");
    }
}
