using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Verification;

/// <summary>What an output of a model is, which decides how it is compared and what a budget means for it (docs/recipes.md,
/// "Output kinds and budgets").</summary>
public enum OutputKind
{
    /// <summary>Logits or probabilities over classes, one row per sample: top-1 agreement, accuracy with labels, KL divergence.</summary>
    Classification,
    /// <summary>A vector per sample, or a vector per token pooled over the sequence (weighted by the attention mask): pooled
    /// cosine and neighbour agreement.</summary>
    Embedding,
    /// <summary>Scores over classes per position (token classification, CTC): per-position agreement, greedy-decoded sequences.</summary>
    Sequence,
    /// <summary>Scores over the vocabulary per position: next-token agreement, mean KL divergence.</summary>
    LanguageModel,
    /// <summary>Maps over an image (segmentation, detection heat maps, depth): IoU of the thresholded maps, relative L1.</summary>
    Dense,
    /// <summary>Any other values: cosine, largest absolute and relative errors.</summary>
    Other,
}

/// <summary>An output's kind and where it came from.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Source">Why: <c>--task</c>, <c>--output-kind</c>, or the inference's reason (for example <c>inferred: [batch,sequence,384] over token ids</c>).</param>
public sealed record OutputKindChoice(OutputKind Kind, string Source);

/// <summary>The names of the kinds as users write them (<c>Task</c> metadata, <c>--task</c>, <c>--output-kind</c>).</summary>
public static class OutputKinds
{
    /// <summary>The accepted names, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } = ["classification", "embedding", "sequence", "language-model", "dense", "other"];

    /// <summary>The name of <paramref name="kind"/>.</summary>
    public static string Name(OutputKind kind) => kind switch
    {
        OutputKind.Classification => "classification",
        OutputKind.Embedding => "embedding",
        OutputKind.Sequence => "sequence",
        OutputKind.LanguageModel => "language-model",
        OutputKind.Dense => "dense",
        _ => "other",
    };

    /// <summary>Parses a kind's name.</summary>
    /// <exception cref="DeepSeekException">DSB0065 naming <paramref name="option"/> and the accepted names.</exception>
    public static OutputKind Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var index = All.ToList().IndexOf(text.Trim().ToLowerInvariant());
        return index >= 0
            ? (OutputKind)index
            : throw new DeepSeekException(DiagnosticIds.InvalidOption, option, $"{Names.Quote(text)} is not an output kind", "use one of: " + string.Join(", ", All));
    }
}
