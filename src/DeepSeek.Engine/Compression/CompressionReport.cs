using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Verification;

namespace DeepSeek.Engine.Compression;

/// <summary>What one compression did and measured (its JSON form is documented in docs/compress-report.md).</summary>
public sealed record CompressionReport(
    string Input,
    string Output,
    long InputBytes,
    long OutputBytes,
    string Profile,
    string Quantize,
    string Recipe,
    IReadOnlyList<PassReport> Passes,
    IReadOnlyDictionary<string, string> SessionOptions,
    EvaluationResult Evaluation,
    string? Budget,
    IReadOnlyDictionary<string, double> TimingsMs)
{
    /// <summary>With <c>auto</c>: the recipes tried before this one, and why each was rejected.</summary>
    public IReadOnlyList<string> Attempts { get; init; } = [];

    /// <summary>Warnings, each as <c>DSBxxxx: message</c> (DSB0081: the recipe quantized nothing and the original shipped).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Each output's figures against the thresholds the budget gives its kind (empty when the user opted out).</summary>
    public IReadOnlyList<BudgetCheck> BudgetChecks { get; init; } = [];

    /// <summary>Static INT8: each layer's sensitivity as the mixed-precision search measured it, worst first (empty when it
    /// measured none: another recipe, or the all-int8 model met the fidelity target at once).</summary>
    public IReadOnlyList<LayerSensitivity> Sensitivity { get; init; } = [];

    /// <summary>What pruning removed, layer by layer (null when the request asked for none).</summary>
    public Pruning.PruningReport? Pruning { get; init; }

    /// <summary>Output size over input size.</summary>
    public double SizeRatio => InputBytes == 0 ? 0 : (double)OutputBytes / InputBytes;
}

/// <summary>One pass as run: its result and how long it took.</summary>
public sealed record PassReport(PassResult Result, double Milliseconds);
