using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Verifier;

/// <summary>
/// The verifier verified (issue 12): <c>Evaluator.Compare</c> on two tiny models whose outputs are known, an Identity
/// ("original") and a Mul by the constant [1, 1, 2] ("compressed"), so every figure is worked out by hand below.
/// </summary>
/// <remarks>
/// The inputs, three rows of width 3, and what the two models give:
/// <code>
/// row  original a   compressed b   a·b   |a|²  |b|²  cosine          max|a−b|  max|a|  rel = max|a−b| / max|a|  argmax a, b
///  0   [1, 5, 3]    [1, 5, 6]      44    35    62    44/sqrt(2170)   3         5       3/5                      1, 2 (differ)
///  1   [4, 1,-1]    [4, 1,-2]      19    18    21    19/sqrt(378)    1         4       1/4                      0, 0 (agree)
///  2   [3, 0, 2]    [3, 0, 4]      17    13    25    17/sqrt(325)    2         3       2/3                      0, 2 (differ)
/// </code>
/// cosines ≈ 0.944544, 0.977258, 0.942990: mean (44/sqrt(2170) + 19/sqrt(378) + 17/sqrt(325)) / 3 ≈ 0.954931, min 17/sqrt(325) (row 2).
/// Max absolute error: 3 (row 0). Max relative error, as the code defines it (OutputMetrics: "the largest absolute error
/// divided by the largest |original| value of its row"), is per row max|a−b| / max|a| and then the largest over rows:
/// max(3/5, 1/4, 2/3) = 2/3 (row 2) — not 3/5, the row of the largest absolute error, nor a global ratio.
/// Top-1 agreement: 1 of 3 rows. With labels [1, 0, 0]: the original is right on 3 of 3 (argmax 1, 0, 0), the compressed
/// model on 1 of 3 (argmax 2, 0, 2), a drop of (1 − 1/3) · 100 = 66.67 points.
/// </remarks>
public sealed class EvaluatorMetricsTests
{
    private static readonly float[][] Rows = [[1, 5, 3], [4, 1, -1], [3, 0, 2]];

    private static readonly double[] Cosines = [44 / Math.Sqrt(2170), 19 / Math.Sqrt(378), 17 / Math.Sqrt(325)];

    private static ModelSession Identity()
        => ModelSession.Open(new ModelBuilder(8, 13).Input("x", "batch", 3).Node("Identity", ["x"], ["y"]).Output("y", "batch", 3).ToBytes(), "identity.onnx");

    private static ModelSession TimesOneOneTwo()
        => ModelSession.Open(new ModelBuilder(8, 13).Input("x", "batch", 3).Initializer("k", [1, 1, 2], 3).Node("Mul", ["x", "k"], ["y"]).Output("y", "batch", 3).ToBytes(), "mul.onnx");

    private static Dictionary<string, TensorValue> Sample(params float[][] rows)
        => new(StringComparer.Ordinal) { ["x"] = TensorValue.Create(rows.SelectMany(r => r).ToArray(), rows.Length, 3) };

    [Fact]
    public void One_batch_of_three_rows_gives_the_hand_computed_figures()
    {
        using var original = Identity();
        using var compressed = TimesOneOneTwo();

        var result = Evaluator.Compare(original, compressed, [Sample(Rows)], [1, 0, 0], "hand", "mul.onnx");

        AssertHandFigures(result, samples: 1);
    }

    [Fact]
    public void Three_samples_of_one_row_give_the_same_figures_and_labels_follow_the_rows()
    {
        using var original = Identity();
        using var compressed = TimesOneOneTwo();

        var result = Evaluator.Compare(original, compressed, Rows.Select(r => (IReadOnlyDictionary<string, TensorValue>)Sample(r)).ToList(), [1, 0, 0], "hand", "mul.onnx");

        AssertHandFigures(result, samples: 3);
    }

    [Fact]
    public void A_model_compared_with_itself_is_perfect()
    {
        using var a = Identity();
        using var b = Identity();

        var m = Assert.Single(Evaluator.Compare(a, b, [Sample(Rows)], null, "hand", "identity.onnx").Outputs);

        // a·a / (|a| |a|) = 1 up to rounding; no error; every arg-max the same.
        Assert.Equal(1.0, m.MeanCosine, 1e-12);
        Assert.Equal(1.0, m.MinCosine, 1e-12);
        Assert.Equal(0.0, m.MaxAbsoluteError);
        Assert.Equal(0.0, m.MaxRelativeError);
        Assert.Equal(1.0, m.Top1Agreement);
    }

    [Fact]
    public void A_zero_row_in_both_models_counts_as_cosine_1()
    {
        using var original = Identity();
        using var compressed = TimesOneOneTwo();

        // Row [0,0,0] → [0,0,0]: both norms 0, a cosine of 1 by definition, no error, arg-max 0 in both.
        // Row [0,0,1] → [0,0,2]: cosine 2/sqrt(1·4) = 1, abs error 1, max|a| 1 → rel 1, arg-max 2 in both.
        var m = Assert.Single(Evaluator.Compare(original, compressed, [Sample([0, 0, 0], [0, 0, 1])], null, "hand", "mul.onnx").Outputs);

        Assert.Equal(1.0, m.MeanCosine, 1e-15);
        Assert.Equal(1.0, m.MinCosine, 1e-15);
        Assert.Equal(1.0, m.MaxAbsoluteError);
        Assert.Equal(1.0, m.MaxRelativeError);
        Assert.Equal(1.0, m.Top1Agreement); // row 0: all equal, argmax 0 both; row 1: argmax 2 both
    }

    [Fact]
    public void The_budget_reads_the_hand_computed_accuracy_drop()
    {
        using var original = Identity();
        using var compressed = TimesOneOneTwo();
        var classification = new Dictionary<string, OutputKindChoice> { ["y"] = new(OutputKind.Classification, "test") };
        var labelled = Evaluator.Compare(original, compressed, [Sample(Rows)], [1, 0, 0], "hand", "mul.onnx", kinds: classification);
        var unlabelled = Evaluator.Compare(original, compressed, [Sample(Rows)], null, "hand", "mul.onnx", kinds: classification);

        // With labels: 66.67 points lost (see remarks), so 66.6% misses and 66.7% meets.
        Assert.Equal("y", labelled.LabelledOutput);
        Assert.Contains("accuracy on classification output 'y' fell 66.67 points", new AccuracyBudget(66.6).Check(labelled), StringComparison.Ordinal);
        Assert.Null(new AccuracyBudget(66.7).Check(labelled));

        // Without labels: top-1 agreement 1/3 = 33.33%, which needs a budget of at least 66.67 points as well.
        Assert.Null(unlabelled.AccuracyDrop);
        Assert.Contains("classification output 'y': top-1 agreement 0.3333", new AccuracyBudget(66.6).Check(unlabelled), StringComparison.Ordinal);
        Assert.Null(new AccuracyBudget(66.7).Check(unlabelled));

        // On random inputs a classification output is held to its cosine, not to arg-max decisions taken on noise.
        var onNoise = Evaluator.Compare(original, compressed, [Sample(Rows)], null, "random", "mul.onnx", kinds: classification) with { RandomInputs = true };
        Assert.Equal(("meanCosine", OutputKind.Classification), Assert.Single(new AccuracyBudget(4).Checks(onNoise)) is var c ? (c.Metric, c.Kind) : default);

        // A data folder that happens to be named "random" is real evidence: only the flag says the inputs were made up.
        var folderNamedRandom = Evaluator.Compare(original, compressed, [Sample(Rows)], null, "random", "mul.onnx", kinds: classification);
        Assert.Equal("top1Agreement", Assert.Single(new AccuracyBudget(4).Checks(folderNamedRandom)).Metric);

        // Read as other values, the same output is held to its cosine: the mean of the three hand cosines (0.9549) against 1 − b.
        var values = Evaluator.Compare(original, compressed, [Sample(Rows)], null, "hand", "mul.onnx");
        Assert.Equal(OutputKind.Other, values.Outputs[0].Kind);
        var check = Assert.Single(new AccuracyBudget(4).Checks(values));
        Assert.Equal("meanCosine", check.Metric);
        Assert.Equal(Cosines.Average(), check.Value, 1e-12);
        Assert.Equal(0.96, check.Threshold, 1e-12);
        Assert.False(check.Met);
        Assert.True(Assert.Single(new AccuracyBudget(5).Checks(values)).Met);
    }

    private static void AssertHandFigures(EvaluationResult result, int samples)
    {
        Assert.Equal(samples, result.Samples);
        Assert.Equal(3, result.Rows);
        Assert.Equal("hand", result.Data);
        var m = Assert.Single(result.Outputs);
        Assert.Equal("y", m.Output);
        Assert.Equal("float", m.ElementType);
        Assert.Null(m.ExactAgreement);
        Assert.Equal((Cosines[0] + Cosines[1] + Cosines[2]) / 3, m.MeanCosine, 1e-12);
        Assert.Equal(0.954931, m.MeanCosine, 1e-6);
        Assert.Equal(17 / Math.Sqrt(325), m.MinCosine, 1e-12);
        Assert.Equal(3.0, m.MaxAbsoluteError);
        Assert.Equal(2.0 / 3, m.MaxRelativeError, 1e-15);
        Assert.Equal(1.0 / 3, m.Top1Agreement, 1e-15);
        Assert.Equal(1.0, result.OriginalAccuracy);
        Assert.Equal(1.0 / 3, result.CompressedAccuracy!.Value, 1e-15);
        Assert.Equal(200.0 / 3, result.AccuracyDrop!.Value, 1e-9);
    }
}
