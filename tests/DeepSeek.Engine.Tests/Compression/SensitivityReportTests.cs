using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>Static INT8's mixed-precision search reports the per-layer sensitivity it measured.</summary>
public sealed class SensitivityReportTests
{
    /// <summary>
    /// x[N,16] → MatMul(w1) → Relu → MatMul(w2) → y[N,256], where row 15 of w1 is 1000 and input 15 is always 0 in the data:
    /// per column, int8 keeps the 1000 and rounds every other weight of w1 to 0, so the all-int8 model gives zeros (cosine 0)
    /// and w1 is the one layer worth keeping in float. w2 is the larger one, so that the model still shrinks (DSB0080).
    /// </summary>
    private static string OutlierMlp(TempDirectory temp)
    {
        var w1 = ModelBuilder.Random(16 * 16, 1, 0.5f);
        for (var c = 0; c < 16; c++)
        {
            w1[(15 * 16) + c] = 1000;
        }

        const int outputs = 256;

        return new ModelBuilder(opset: 13)
            .Input("x", "N", 16)
            .Initializer("w1", w1, 16, 16)
            .Initializer("w2", ModelBuilder.Random(16 * outputs, 2, 0.5f), 16, outputs)
            .Node("MatMul", ["x", "w1"], ["h"])
            .Node("Relu", ["h"], ["r"])
            .Node("MatMul", ["r", "w2"], ["y"])
            .Output("y", "N", outputs)
            .Save(temp.File("outlier.onnx"));
    }

    [Fact]
    public void A_layer_that_int8_ruins_is_ranked_worst_kept_in_float_and_reported_with_its_cosine()
    {
        using var temp = new TempDirectory();
        var data = Directory.CreateDirectory(temp.File("data")).FullName;
        for (var i = 0; i < 8; i++)
        {
            var x = ModelBuilder.Random(16, 50 + i);
            x[15] = 0;
            NpyWriter.Write(Path.Combine(data, $"s{i}.npy"), TensorValue.Create(x, 1, 16));
        }

        var report = Compressor.Run(new CompressionRequest
        {
            Input = OutlierMlp(temp), Output = temp.File("out.onnx"), Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "int8-static",
            CalibrationFolder = data, Budget = null, ReportPath = temp.File("report.html"),
        });

        Assert.Collection(report.Sensitivity.Where(l => l.OpType != MixedPrecision.ActivationKind),
            first =>
            {
                Assert.Equal(("MatMul_0", "MatMul", true), (first.Layer, first.OpType, first.KeptInFloat));
                Assert.InRange(first.Cosine, 0, 0.5);
            },
            second =>
            {
                Assert.Equal(("MatMul_2", "MatMul", false), (second.Layer, second.OpType, second.KeptInFloat));
                Assert.InRange(second.Cosine, 0.99, 1);
            });
        Assert.Equal(1, report.Passes.Single(p => p.Result.Pass == "int8-static").Result.Counters["floatNodes"]);
        Assert.Equal(["r", "x"], report.Sensitivity.Where(l => l.OpType == MixedPrecision.ActivationKind).Select(l => l.Layer).Order(StringComparer.Ordinal)); // ranked too
        Assert.DoesNotContain(report.Sensitivity, l => l.OpType == MixedPrecision.ActivationKind && l.KeptInFloat); // the weights were the problem
        var html = File.ReadAllText(temp.File("report.html"));
        Assert.Contains("<tr><td>MatMul_0</td><td>MatMul</td>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"float\">float</span>", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// An activation outlier: input 15 is 1000 in one calibration sample and about ±1 everywhere else, so x's uint8 step is
    /// about 4 and every other input rounds to a few levels (row 15 of w1 is zero, so the outlier goes no further). The weights
    /// quantize well; the ranking puts the activation x first and the search keeps it float, which restores the fidelity.
    /// </summary>
    [Fact]
    public void An_activation_that_int8_ruins_is_ranked_worst_and_kept_in_float()
    {
        using var temp = new TempDirectory();
        var data = Directory.CreateDirectory(temp.File("data")).FullName;
        for (var i = 0; i < 8; i++)
        {
            var x = ModelBuilder.Random(16, 70 + i);
            if (i == 7)
            {
                x[15] = 1000;
            }

            NpyWriter.Write(Path.Combine(data, $"s{i}.npy"), TensorValue.Create(x, 1, 16));
        }

        const int outputs = 256;
        var w1 = ModelBuilder.Random(16 * 64, 3, 0.5f);
        Array.Clear(w1, 15 * 64, 64);
        var source = new ModelBuilder(opset: 13)
            .Input("x", "N", 16)
            .Initializer("w1", w1, 16, 64)
            .Initializer("w2", ModelBuilder.Random(64 * outputs, 4, 0.5f), 64, outputs)
            .Node("MatMul", ["x", "w1"], ["h"])
            .Node("Relu", ["h"], ["r"])
            .Node("MatMul", ["r", "w2"], ["y"])
            .Output("y", "N", outputs)
            .Save(temp.File("activation-outlier.onnx"));

        var report = Compressor.Run(new CompressionRequest
        {
            Input = source, Output = temp.File("out.onnx"), Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = "int8-static",
            CalibrationFolder = data, Budget = null,
        });

        var worst = report.Sensitivity[0];
        Assert.Equal(("x", MixedPrecision.ActivationKind, true), (worst.Layer, worst.OpType, worst.KeptInFloat));
        Assert.True(worst.Cosine < 0.99, $"x alone in int8: cosine {worst.Cosine}");
        Assert.Contains(report.Sensitivity, l => l.OpType == "MatMul" && l.Cosine > 0.99);
        var int8 = report.Passes.Single(p => p.Result.Pass == "int8-static").Result;
        Assert.Equal(0, int8.Counters["floatNodes"]); // both layers' weights in int8
        Assert.True(report.Evaluation.Outputs[0].MeanCosine >= 0.99, $"cosine {report.Evaluation.Outputs[0].MeanCosine}");
    }
}
