using System.Globalization;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Pruning;

/// <summary>How weights are chosen for removal (<c>PruneMode</c>, <c>--prune-mode</c>).</summary>
public enum PruneMode
{
    /// <summary>Whole units (Conv output channels, FFN hidden units) with the smallest L1 norm are removed: the shapes shrink.</summary>
    ChannelL1,

    /// <summary>As <see cref="ChannelL1"/>, ranked by the L2 norm.</summary>
    ChannelL2,

    /// <summary>Single weights with the smallest magnitude are zeroed (unstructured, or an N:M pattern with <c>Sparsity</c>).</summary>
    Magnitude,
}

/// <summary>An N:M pattern: in every group of <see cref="M"/> consecutive weights along a layer's input, at most <see cref="N"/> are not zero.</summary>
public sealed record NmPattern(int N, int M)
{
    /// <summary>The share of weights the pattern zeroes: 1 − N/M.</summary>
    public double Sparsity => 1.0 - ((double)N / M);

    /// <summary>Parses <c>N:M</c> (0 &lt; N &lt; M ≤ 256).</summary>
    /// <exception cref="DeepSeekException">DSB0065 for anything else.</exception>
    public static NmPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && n > 0 && n < m && m <= 256)
        {
            return new NmPattern(n, m);
        }

        throw new DeepSeekException(DiagnosticIds.InvalidOption, "--sparsity", $"{Names.Quote(text)} is not an N:M pattern",
            "write N:M with 0 < N < M ≤ 256, such as 2:4 or 1:16");
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{N}:{M}");
}

/// <summary>
/// What to prune: <see cref="Fraction"/> of the prunable units (channel modes) or of each layer's weights (magnitude), or an
/// N:M <see cref="Pattern"/>. The accuracy budget decides how much of the request ships (docs/recipes.md, "Pruning").
/// </summary>
public sealed record PruneSettings(double Fraction, PruneMode Mode, NmPattern? Pattern)
{
    /// <summary>The mode's name in options and reports.</summary>
    public string ModeName => Name(Mode);

    /// <summary>The name of a mode.</summary>
    public static string Name(PruneMode mode) => mode switch { PruneMode.ChannelL1 => "channel-l1", PruneMode.ChannelL2 => "channel-l2", _ => "magnitude" };

    /// <summary>
    /// The settings the three options give, or null when none is set. A fraction alone prunes channels by L1; a pattern alone
    /// is magnitude pruning to that pattern; a channel mode with a pattern, or a fraction outside (0, 0.95], is DSB0065.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0065 for a value that is not one, or options that contradict each other.</exception>
    public static PruneSettings? Parse(string? fraction, string? mode, string? sparsity)
    {
        if (string.IsNullOrWhiteSpace(fraction) && string.IsNullOrWhiteSpace(mode) && string.IsNullOrWhiteSpace(sparsity))
        {
            return null;
        }

        var pattern = string.IsNullOrWhiteSpace(sparsity) ? null : NmPattern.Parse(sparsity);
        var parsedMode = string.IsNullOrWhiteSpace(mode) ? (pattern is null ? PruneMode.ChannelL1 : PruneMode.Magnitude) : mode.Trim().ToLowerInvariant() switch
        {
            "channel-l1" => PruneMode.ChannelL1,
            "channel-l2" => PruneMode.ChannelL2,
            "magnitude" => PruneMode.Magnitude,
            _ => throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune-mode", $"{Names.Quote(mode)} is not a pruning mode", "use channel-l1, channel-l2 or magnitude"),
        };
        if (pattern is not null && parsedMode != PruneMode.Magnitude)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--sparsity", $"an N:M pattern zeroes single weights; it does not go with --prune-mode {Name(parsedMode)}",
                "use --prune-mode magnitude (or leave it out) with --sparsity, or drop --sparsity to remove whole channels");
        }

        double share = 0;
        if (!string.IsNullOrWhiteSpace(fraction))
        {
            var text = fraction.Trim();
            var percent = text.EndsWith('%');
            if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out share) || double.IsNaN(share))
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune", $"{Names.Quote(fraction)} is not a fraction", "write a share of the weights such as 0.3 or 30%");
            }

            share = percent ? share / 100 : share;
            if (share is <= 0 or > 0.95)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune", $"{Names.Quote(fraction)} is outside (0, 0.95]", "write a share of the weights such as 0.3 or 30%");
            }

            if (pattern is not null)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune", $"--sparsity {pattern} already says how many weights go ({pattern.Sparsity:P1})",
                    "give either --prune (a share) or --sparsity (an N:M pattern)");
            }
        }
        else if (pattern is null)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune-mode", $"--prune-mode {Name(parsedMode)} needs a share to prune",
                "add --prune (such as 0.3), or --sparsity N:M for magnitude pruning");
        }

        return new PruneSettings(share, parsedMode, pattern);
    }

    /// <summary>The request as the cache key and report write it.</summary>
    public override string ToString() => Pattern is { } p ? $"magnitude {p}" : string.Create(CultureInfo.InvariantCulture, $"{ModeName} {Fraction:0.###}");
}
