using System.Text.Json;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Verification;
using DeepSeek.Testing;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Verifier;

/// <summary>
/// The verifier verified on a real model (issue 12): the MNIST MLP compressed with int8-dynamic on real digits, both models
/// then run here digit by digit in ONNX Runtime through <see cref="Ort"/> (not through the engine's ModelSession or
/// Evaluator), the figures computed here, and the report's figures checked against them.
/// </summary>
public sealed class MnistReportFiguresTests(ITestOutputHelper output)
{
    private const int Digits = MnistDigits.HeldOutCount;

    [Fact]
    public void The_reports_figures_equal_an_independent_computation()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.HeldOut.Take(Digits).ToList();
        var data = MnistDigits.WriteDataFolder(temp.File("digits"), digits, cnnLayout: false);
        var compressed = temp.File("mnist-mlp.int8.onnx");
        var reportPath = temp.File("report.json");

        var report = Compressor.Run(new CompressionRequest
        {
            Input = TestAssets.MnistMlp,
            Output = compressed,
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "int8-dynamic",
            CalibrationFolder = data,
            ReportPath = reportPath,
        });
        Assert.Empty(report.SessionOptions); // Ort runs with default session options, so the compressed model must need none

        // Independently: one row per digit; cosine = a·b / (|a| |b|) per row; max |a−b| over every value; top-1 agreement =
        // share of rows whose arg-max (first maximum) is the same; accuracy = share of rows whose arg-max is the label.
        string input;
        using (var session = new InferenceSession(TestAssets.MnistMlp))
        {
            input = Assert.Single(session.InputNames);
        }

        double cosineSum = 0, minCosine = double.PositiveInfinity, maxAbs = 0, klSum = 0;
        int agree = 0, rightOriginal = 0, rightCompressed = 0;
        foreach (var digit in digits)
        {
            var a = Assert.Single(Ort.Run(TestAssets.MnistMlp, input, digit.Image, [1, MnistDigits.ImageSize]));
            var b = Assert.Single(Ort.Run(compressed, input, digit.Image, [1, MnistDigits.ImageSize]));
            Assert.Equal(10, a.Length);
            Assert.Equal(10, b.Length);
            double dot = 0, na = 0, nb = 0;
            for (var i = 0; i < a.Length; i++)
            {
                dot += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
                maxAbs = Math.Max(maxAbs, Math.Abs((double)a[i] - b[i]));
            }

            // KL(P‖Q) of the softmaxes of the two rows of logits.
            var (p, q) = (Softmax(a), Softmax(b));
            klSum += p.Zip(q, (x, y) => x * Math.Log(x / y)).Sum();
            var cosine = dot / Math.Sqrt(na * nb);
            cosineSum += cosine;
            minCosine = Math.Min(minCosine, cosine);
            var (argA, argB) = (ArgMax(a), ArgMax(b));
            agree += argA == argB ? 1 : 0;
            rightOriginal += argA == digit.Label ? 1 : 0;
            rightCompressed += argB == digit.Label ? 1 : 0;
        }

        var meanCosine = cosineSum / Digits;
        var agreement = (double)agree / Digits;
        var evaluation = report.Evaluation;
        var m = Assert.Single(evaluation.Outputs);
        output.WriteLine($"independent: mean cosine {meanCosine:R}, min cosine {minCosine:R}, max abs error {maxAbs:R}, top-1 agreement {agree}/{Digits}, accuracy {rightOriginal}/{Digits} → {rightCompressed}/{Digits}");
        output.WriteLine($"report:      mean cosine {m.MeanCosine:R}, min cosine {m.MinCosine:R}, max abs error {m.MaxAbsoluteError:R}, top-1 agreement {m.Top1Agreement:R}, accuracy {evaluation.OriginalAccuracy:R} → {evaluation.CompressedAccuracy:R}");

        Assert.Equal(Digits, evaluation.Samples);
        Assert.Equal(Digits, evaluation.Rows);
        AssertRelative(meanCosine, m.MeanCosine, 1e-9);
        AssertRelative(minCosine, m.MinCosine, 1e-9);
        AssertRelative(maxAbs, m.MaxAbsoluteError, 1e-9);
        Assert.Equal(agreement, m.Top1Agreement);
        Assert.Equal(OutputKind.Classification, m.Kind); // [batch, 10] from a Gemm/MatMul: classification, inferred
        Assert.StartsWith("inferred", m.KindSource, StringComparison.Ordinal);
        Assert.NotNull(m.KlDivergence);
        AssertRelative(klSum / Digits, m.KlDivergence.Value, 1e-6);
        Assert.True(m.KlDivergence > 0);
        Assert.Equal("logits", evaluation.LabelledOutput);
        Assert.Equal((double)rightOriginal / Digits, evaluation.OriginalAccuracy);
        Assert.Equal((double)rightCompressed / Digits, evaluation.CompressedAccuracy);
        Assert.True(minCosine < meanCosine && meanCosine < 1, "int8 changes the outputs, so the figures say something");

        // The JSON report carries the same figures.
        using var json = JsonDocument.Parse(File.ReadAllText(reportPath));
        var written = json.RootElement.GetProperty("evaluation");
        Assert.Equal(Digits, written.GetProperty("rows").GetInt32());
        var o = written.GetProperty("outputs")[0];
        AssertRelative(meanCosine, o.GetProperty("meanCosine").GetDouble(), 1e-9);
        AssertRelative(minCosine, o.GetProperty("minCosine").GetDouble(), 1e-9);
        AssertRelative(maxAbs, o.GetProperty("maxAbsoluteError").GetDouble(), 1e-9);
        Assert.Equal(agreement, o.GetProperty("top1Agreement").GetDouble());
    }

    private static double[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - (double)max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static void AssertRelative(double expected, double actual, double tolerance)
        => Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R} (relative difference {Math.Abs(expected - actual) / Math.Abs(expected):E2})");
}
