using DeepSeek.Torch.Pruning;
using static TorchSharp.torch;

namespace DeepSeek.Torch.V1;

/// <summary>
/// The 1.x channel pruner (L1 norm). A thin shim over <see cref="StructuredPruner"/>; migrate to
/// <c>new StructuredPruner(model, ratio, ChannelNorm.L1).Prune()</c>.
/// </summary>
[Obsolete("ChannelPruner is the 1.x API: use new StructuredPruner(model, ratio, ChannelNorm.L1).Prune()", DiagnosticId = Legacy.MigrationIds.ChannelPruner, UrlFormat = Legacy.MigrationIds.UrlFormat)]
public sealed class ChannelPruner(nn.Module model, double ratio)
{
    /// <summary>Removes <c>ratio</c> of each prunable layer's channels; returns the number of channels removed.</summary>
    public long Prune() => new StructuredPruner(model, ratio, ChannelNorm.L1).Prune().Sum(l => l.ChannelsBefore - l.ChannelsAfter);
}
