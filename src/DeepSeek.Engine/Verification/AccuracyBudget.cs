using System.Globalization;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// An accuracy budget such as <c>1%</c>, read per output kind (the table of docs/recipes.md, "Output kinds and budgets") and
/// checked on every output. With a budget of B points (b = B/100):
/// <list type="table">
/// <item><term>classification</term><description>with labels, at most B points of accuracy lost; else top-1 agreement ≥ 1 − b</description></item>
/// <item><term>embedding</term><description>pooled cosine ≥ 1 − b, and neighbour agreement ≥ 1 − 10b</description></item>
/// <item><term>sequence</term><description>per-position agreement ≥ 1 − b</description></item>
/// <item><term>language-model</term><description>next-token agreement ≥ 1 − b</description></item>
/// <item><term>dense</term><description>mean IoU ≥ 1 − 2b</description></item>
/// <item><term>other</term><description>mean cosine ≥ 1 − b</description></item>
/// </list>
/// On random inputs (no data given) classification, sequence and language-model outputs are held to the cosine of their
/// scores instead: the arg-max of scores computed from noise has no margin and flips on any change.
/// Whatever the budget, every output's figures must be numbers and integer and bool outputs must agree element for element.
/// With no budget given, <see cref="Default"/> applies; <c>none</c> opts out (nothing is enforced, and the report says so).
/// </summary>
/// <param name="Points">The budget in percentage points.</param>
public sealed record AccuracyBudget(double Points)
{
    /// <summary>The budget that applies when none is given: 1%.</summary>
    public static AccuracyBudget Default { get; } = new(1) { IsDefault = true };

    /// <summary>Whether this is <see cref="Default"/>, not one the user wrote.</summary>
    public bool IsDefault { get; init; }

    /// <summary>How the report names the budget: <c>1%</c>, or <c>1% (default)</c>.</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Points:G}%{(IsDefault ? " (default)" : "")}");

    /// <summary>Parses <c>1%</c>, <c>0.5%</c> or <c>1</c> (points).</summary>
    /// <exception cref="DeepSeekException">DSB0065 for anything else.</exception>
    public static AccuracyBudget Parse(string text)
        => ParseOrNone(text) ?? throw new DeepSeekException(DiagnosticIds.InvalidOption, "--accuracy-budget", "'none' is not a budget here", "write a percentage, for example 1%");

    /// <summary>Parses a budget, or <c>none</c> (null: the user opted out of any check).</summary>
    /// <exception cref="DeepSeekException">DSB0065 for anything else.</exception>
    public static AccuracyBudget? ParseOrNone(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var trimmed = text.Trim().TrimEnd('%');
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var points) || points < 0 || points > 100 || !double.IsFinite(points))
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--accuracy-budget", $"{Names.Quote(text)} is not a budget",
                "write a percentage from 0% to 100%, for example 1%, or none to enforce nothing");
        }

        return new AccuracyBudget(points);
    }

    /// <summary>Every check this budget makes on <paramref name="result"/>: one or two per output.</summary>
    public IReadOnlyList<BudgetCheck> Checks(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var b = Points / 100;
        var checks = new List<BudgetCheck>();
        foreach (var o in result.Outputs)
        {
            void Add(string metric, double? value, double threshold, bool atLeast = true)
                => checks.Add(new BudgetCheck(o.Output, o.Kind, metric, value ?? double.NaN, threshold, atLeast));

            if (!o.IsFinite)
            {
                Add("finite", 0, 1);
                continue;
            }

            if (o.ExactAgreement is { } exact)
            {
                Add("exactAgreement", exact, 1);
                continue;
            }

            switch (o.Kind)
            {
                case OutputKind.Classification or OutputKind.Sequence or OutputKind.LanguageModel when result.RandomInputs:
                    // Decisions on noise are noise: random inputs give scores with tiny margins, whose arg-max flips on any change.
                    Add("meanCosine", o.MeanCosine, 1 - b);
                    break;
                case OutputKind.Classification when result.AccuracyDrop is { } drop && result.LabelledOutput == o.Output:
                    Add("accuracyDropPoints", drop, Points, atLeast: false);
                    break;
                case OutputKind.Classification:
                    Add("top1Agreement", o.Top1Agreement, 1 - b);
                    break;
                case OutputKind.Embedding:
                    Add("pooledCosine", o.PooledCosine, 1 - b);
                    if (o.NeighbourAgreement is { } neighbours)
                    {
                        Add("neighbourAgreement", neighbours, Math.Max(0, 1 - (10 * b)));
                    }

                    break;
                case OutputKind.Sequence or OutputKind.LanguageModel:
                    Add("positionAgreement", o.PositionAgreement, 1 - b);
                    break;
                case OutputKind.Dense:
                    Add("meanIoU", o.MeanIoU, Math.Max(0, 1 - (2 * b)));
                    break;
                default:
                    Add("meanCosine", o.MeanCosine, 1 - b);
                    break;
            }
        }

        return checks;
    }

    /// <summary>Null when every check holds, else each missed check with its measured figures.</summary>
    public string? Check(EvaluationResult result)
    {
        var missed = Checks(result).Where(c => !c.Met).Select(c => c.Describe(this, result)).ToArray();
        return missed.Length == 0 ? null : string.Join("; ", missed);
    }
}

/// <summary>One figure of one output against the threshold the budget gives its kind.</summary>
/// <param name="Output">The output.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Metric">The figure's name as in the JSON report (<c>pooledCosine</c>, <c>top1Agreement</c>...; <c>finite</c>: the figures are numbers).</param>
/// <param name="Value">The measured value (NaN when there is none).</param>
/// <param name="Threshold">The bound the budget gives.</param>
/// <param name="AtLeast">Whether the value must be at least the threshold (else at most).</param>
public sealed record BudgetCheck(string Output, OutputKind Kind, string Metric, double Value, double Threshold, bool AtLeast)
{
    /// <summary>Whether the check holds (a NaN never does).</summary>
    public bool Met => AtLeast ? Value >= Threshold - 1e-9 : Value <= Threshold + 1e-9;

    /// <summary>The check as a sentence with its figures, for DSB0063 and the CLI.</summary>
    public string Describe(AccuracyBudget budget, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var o = result.Outputs.First(x => x.Output == Output);
        var subject = $"{OutputKinds.Name(Kind)} output {Names.Quote(Output)}";
        return Metric switch
        {
            "finite" => string.Create(c, $"{subject} has figures that are not numbers (cosine mean {o.MeanCosine}, max abs error {o.MaxAbsoluteError}): the compressed model gives NaN or infinity"),
            "exactAgreement" => string.Create(c, $"{o.ElementType} output {Names.Quote(Output)} equals the original's in {Value:P2} of its elements; integer and bool outputs must agree exactly"),
            "accuracyDropPoints" => string.Create(c, $"accuracy on {subject} fell {Value:F2} points ({result.OriginalAccuracy:P2} → {result.CompressedAccuracy:P2}), over the {budget.Name} budget"),
            _ => string.Create(c, $"{subject}: {Label(Metric)} {Value:F4}{Extra(o)}, {(AtLeast ? "under" : "over")} the {Threshold:0.####} a {budget.Name} budget requires"),
        };
    }

    /// <summary>How a metric reads in sentences.</summary>
    public static string Label(string metric) => metric switch
    {
        "top1Agreement" => "top-1 agreement",
        "pooledCosine" => "pooled cosine",
        "neighbourAgreement" => "neighbour agreement",
        "positionAgreement" => "per-position agreement",
        "meanIoU" => "mean IoU",
        "meanCosine" => "cosine mean",
        "accuracyDropPoints" => "accuracy points lost",
        "exactAgreement" => "equal elements",
        _ => metric,
    };

    private string Extra(OutputMetrics o) => Metric switch
    {
        "pooledCosine" => string.Create(CultureInfo.InvariantCulture, $" (min {o.MinPooledCosine:F4})"),
        "positionAgreement" when Kind == OutputKind.LanguageModel => " (next-token)",
        "meanCosine" => string.Create(CultureInfo.InvariantCulture, $" (min {o.MinCosine:F4})"),
        _ => "",
    };
}
