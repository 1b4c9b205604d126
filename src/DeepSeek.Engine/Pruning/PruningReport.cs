namespace DeepSeek.Engine.Pruning;

/// <summary>One layer as pruning left it.</summary>
/// <param name="Layer">The producing node (or its weight).</param>
/// <param name="Kind"><c>conv-channels</c>, <c>ffn-units</c>, <c>attention-heads</c>, or <c>weights</c> for magnitude pruning.</param>
/// <param name="Before">Units (or weights) before.</param>
/// <param name="After">Units (or non-zero weights) shipped.</param>
/// <param name="Sensitivity">Channel modes: 1 − cosine of the outputs with this layer alone pruned at the requested share (0 when unmeasured).</param>
public sealed record PrunedLayer(string Layer, string Kind, long Before, long After, double Sensitivity)
{
    /// <summary>The share removed.</summary>
    public double Removed => Before == 0 ? 0 : 1 - ((double)After / Before);
}

/// <summary>What pruning asked for, what the accuracy budget let through, and each layer's share.</summary>
/// <param name="Requested">The request (<c>channel-l1 0.3</c>, <c>magnitude 1:16</c>).</param>
/// <param name="RequestedFraction">The share asked for (the pattern's sparsity for N:M).</param>
/// <param name="ShippedFraction">The share shipped: of the prunable layers' weights (channel modes) or of the pruned layers' weights.</param>
/// <param name="ModelFraction">The share of all the model's weights removed or zeroed.</param>
/// <param name="Layers">Every prunable layer, in graph order.</param>
/// <param name="Tried">Shares tried before the shipped one, each with why it was not shipped.</param>
public sealed record PruningReport(string Requested, double RequestedFraction, double ShippedFraction, double ModelFraction, IReadOnlyList<PrunedLayer> Layers, IReadOnlyList<string> Tried);
