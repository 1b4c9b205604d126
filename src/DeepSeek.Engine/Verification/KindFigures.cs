using System.Globalization;

namespace DeepSeek.Engine.Verification;

/// <summary>One figure of an output's kind, as <c>deepseek compress</c> and the HTML report show it.</summary>
/// <param name="Label">How it reads (<c>pooled cosine</c>, <c>KL divergence</c>...).</param>
/// <param name="Value">The figure.</param>
/// <param name="Format">Its .NET number format (<c>F6</c>, <c>P2</c>, <c>G4</c>...).</param>
public sealed record KindFigure(string Label, double Value, string Format)
{
    /// <summary>The value in <see cref="Format"/>, invariant culture.</summary>
    public string Text => Value.ToString(Format, CultureInfo.InvariantCulture);
}

/// <summary>The figures an output's kind adds to the common ones (cosine, errors, top-1), in the order they are shown.</summary>
public static class KindFigures
{
    /// <summary>The kind figures <paramref name="m"/> has (none for kinds without any).</summary>
    public static IReadOnlyList<KindFigure> Of(OutputMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var figures = new List<KindFigure>();
        void Add(string label, double? value, string format)
        {
            if (value is { } v)
            {
                figures.Add(new KindFigure(label, v, format));
            }
        }

        Add("pooled cosine", m.PooledCosine, "F6");
        Add("pooled cosine min", m.MinPooledCosine, "F6");
        Add("neighbour agreement", m.NeighbourAgreement, "P1");
        Add(m.Kind == OutputKind.LanguageModel ? "next-token agreement" : "per-position agreement", m.PositionAgreement, "P2");
        Add("decoded sequences equal", m.DecodedAgreement, "P1");
        Add("KL divergence", m.KlDivergence, "G4");
        Add("mean IoU", m.MeanIoU, "F4");
        Add("relative L1", m.RelativeL1, "G4");
        return figures;
    }
}
