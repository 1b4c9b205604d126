namespace DeepSeek.Engine.Verification;

/// <summary>How closely one output of the compressed model follows the original's, over all evaluated rows.</summary>
/// <param name="Output">The output's name.</param>
/// <param name="MeanCosine">Mean cosine similarity per row (a row: one sample of the batch).</param>
/// <param name="MinCosine">The worst row's cosine similarity.</param>
/// <param name="MaxAbsoluteError">The largest |original − compressed| over all values.</param>
/// <param name="MaxRelativeError">The largest absolute error divided by the largest |original| value of its row.</param>
/// <param name="Top1Agreement">The fraction of rows whose arg-max is the same in both.</param>
/// <remarks>Every output is compared: float16, bfloat16 and double outputs are read as doubles; integer and bool outputs
/// also give <see cref="ExactAgreement"/>. A NaN of the compressed model makes the figures NaN, which meets no budget.</remarks>
public sealed record OutputMetrics(string Output, double MeanCosine, double MinCosine, double MaxAbsoluteError, double MaxRelativeError, double Top1Agreement)
{
    /// <summary>The output's element type as the original model gives it (<c>float</c>, <c>float16</c>, <c>int64</c>...).</summary>
    public string ElementType { get; init; } = "float";

    /// <summary>For integer and bool outputs, the share of elements equal in both models (a budget wants 1); null for floating-point outputs.</summary>
    public double? ExactAgreement { get; init; }

    /// <summary>What the output is, which decides the figures below and what the budget checks (docs/recipes.md).</summary>
    public OutputKind Kind { get; init; } = OutputKind.Other;

    /// <summary>Where <see cref="Kind"/> came from: <c>--task</c>, <c>--output-kind</c>, or the inference's reason.</summary>
    public string KindSource { get; init; } = "";

    /// <summary>Classification and language-model outputs: the mean KL divergence (nats) from the original's distribution to the
    /// compressed model's, per row (classification) or per position (language model).</summary>
    public double? KlDivergence { get; init; }

    /// <summary>Embedding outputs: the mean cosine of the pooled vectors (mean over the sequence weighted by the attention mask).</summary>
    public double? PooledCosine { get; init; }

    /// <summary>Embedding outputs: the worst pooled vector's cosine.</summary>
    public double? MinPooledCosine { get; init; }

    /// <summary>Embedding outputs: the mean share of each vector's 5 nearest others (by cosine, among all evaluated rows) that
    /// stay its nearest in the compressed model; null with fewer than 3 vectors.</summary>
    public double? NeighbourAgreement { get; init; }

    /// <summary>Embedding outputs: the pooled vectors compared (rows over all samples).</summary>
    public int? PooledVectors { get; init; }

    /// <summary>Sequence and language-model outputs: the share of (unmasked) positions whose arg-max is the same — for a
    /// language model, next-token agreement.</summary>
    public double? PositionAgreement { get; init; }

    /// <summary>Sequence outputs: the share of rows whose CTC greedy decoding (arg-max, repeats collapsed, blank 0 removed) is equal.</summary>
    public double? DecodedAgreement { get; init; }

    /// <summary>Dense outputs: the mean IoU of the thresholded (one channel) or arg-max (several) maps.</summary>
    public double? MeanIoU { get; init; }

    /// <summary>Dense outputs: Σ|original − compressed| / Σ|original|, averaged over rows.</summary>
    public double? RelativeL1 { get; init; }

    /// <summary>Whether every figure is a number (a NaN or infinity here meets no budget).</summary>
    public bool IsFinite => double.IsFinite(MeanCosine) && double.IsFinite(MinCosine) && double.IsFinite(MaxAbsoluteError) && double.IsFinite(MaxRelativeError)
        && new[] { KlDivergence, PooledCosine, MinPooledCosine, NeighbourAgreement, PositionAgreement, DecodedAgreement, MeanIoU, RelativeL1 }.All(v => v is null || double.IsFinite(v.Value));
}

/// <summary>The comparison of a compressed model with its original on evaluation data.</summary>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Rows">Rows compared per output (samples times batch).</param>
/// <param name="Data">Where the samples came from (a folder, or <c>random</c>).</param>
/// <param name="Outputs">Per output metrics, in model order.</param>
/// <param name="OriginalAccuracy">With labels: the original's top-1 accuracy on the first output.</param>
/// <param name="CompressedAccuracy">With labels: the compressed model's top-1 accuracy.</param>
public sealed record EvaluationResult(int Samples, int Rows, string Data, IReadOnlyList<OutputMetrics> Outputs, double? OriginalAccuracy, double? CompressedAccuracy)
{
    /// <summary>Whether the samples were made up (no data given): <see cref="Data"/> is then <c>random</c>. A flag, not a
    /// comparison of <see cref="Data"/>, so that a data folder named <c>random</c> is still real evidence.</summary>
    public bool RandomInputs { get; init; }

    /// <summary>With labels: the output they were read against (the first classification output, else the first).</summary>
    public string? LabelledOutput { get; init; }

    /// <summary>Accuracy points lost (with labels), else null.</summary>
    public double? AccuracyDrop => OriginalAccuracy is { } a && CompressedAccuracy is { } b ? (a - b) * 100 : null;
}
