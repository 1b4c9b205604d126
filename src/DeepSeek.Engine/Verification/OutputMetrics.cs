namespace DeepSeek.Engine.Verification;

/// <summary>How closely one output of the compressed model follows the original's, over all evaluated rows.</summary>
/// <param name="Output">The output's name.</param>
/// <param name="MeanCosine">Mean cosine similarity per row (a row: one sample of the batch).</param>
/// <param name="MinCosine">The worst row's cosine similarity.</param>
/// <param name="MaxAbsoluteError">The largest |original − compressed| over all values.</param>
/// <param name="MaxRelativeError">The largest absolute error divided by the largest |original| value of its row.</param>
/// <param name="Top1Agreement">The fraction of rows whose arg-max is the same in both.</param>
public sealed record OutputMetrics(string Output, double MeanCosine, double MinCosine, double MaxAbsoluteError, double MaxRelativeError, double Top1Agreement);

/// <summary>The comparison of a compressed model with its original on evaluation data.</summary>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Rows">Rows compared per output (samples times batch).</param>
/// <param name="Data">Where the samples came from (a folder, or <c>random</c>).</param>
/// <param name="Outputs">Per output metrics, in model order.</param>
/// <param name="OriginalAccuracy">With labels: the original's top-1 accuracy on the first output.</param>
/// <param name="CompressedAccuracy">With labels: the compressed model's top-1 accuracy.</param>
public sealed record EvaluationResult(int Samples, int Rows, string Data, IReadOnlyList<OutputMetrics> Outputs, double? OriginalAccuracy, double? CompressedAccuracy)
{
    /// <summary>Accuracy points lost (with labels), else null.</summary>
    public double? AccuracyDrop => OriginalAccuracy is { } a && CompressedAccuracy is { } b ? (a - b) * 100 : null;
}
