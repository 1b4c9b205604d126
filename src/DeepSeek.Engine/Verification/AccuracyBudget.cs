using System.Globalization;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// An accuracy budget such as <c>1%</c>: with labelled data, at most that many points of top-1 accuracy lost; without labels,
/// top-1 agreement with the original of at least 100% minus the budget. Whatever the budget, every output's figures must be
/// numbers (a NaN cosine meets nothing) and every integer or bool output must agree with the original element for element.
/// </summary>
/// <param name="Points">The budget in percentage points.</param>
public sealed record AccuracyBudget(double Points)
{
    /// <summary>Parses <c>1%</c>, <c>0.5%</c> or <c>1</c> (points).</summary>
    /// <exception cref="DeepSeekException">DSB0065 for anything else.</exception>
    public static AccuracyBudget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim().TrimEnd('%');
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var points) || points < 0 || points > 100 || !double.IsFinite(points))
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--accuracy-budget", $"{Names.Quote(text)} is not a budget", "write a percentage from 0% to 100%, for example 1%");
        }

        return new AccuracyBudget(points);
    }

    /// <summary>Null when the result keeps within the budget, else what was missed.</summary>
    public string? Check(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Outputs.FirstOrDefault(o => !o.IsFinite) is { } broken)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"output {Names.Quote(broken.Output)} has figures that are not numbers (cosine mean {broken.MeanCosine}, max abs error {broken.MaxAbsoluteError}): the compressed model gives NaN or infinity");
        }

        if (result.Outputs.FirstOrDefault(o => o.ExactAgreement < 1) is { } different)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{different.ElementType} output {Names.Quote(different.Output)} equals the original's in {different.ExactAgreement:P2} of its elements; integer and bool outputs must agree exactly");
        }

        if (result.AccuracyDrop is { } drop)
        {
            return drop <= Points + 1e-9
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"accuracy fell {drop:F2} points ({result.OriginalAccuracy:P2} → {result.CompressedAccuracy:P2}), over the {Points}% budget");
        }

        var agreement = result.Outputs.Count == 0 ? 0 : result.Outputs[0].Top1Agreement;
        return agreement * 100 >= 100 - Points - 1e-9
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"top-1 agreement with the original is {agreement:P2}, under the {100 - Points}% the {Points}% budget allows");
    }
}
