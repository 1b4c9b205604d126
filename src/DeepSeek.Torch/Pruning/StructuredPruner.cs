using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Pruning;

/// <summary>
/// Structured pruning: removes a share of the output channels of each <see cref="Conv2d"/> (or output features of each
/// <see cref="Linear"/>) whose output feeds another Conv2d or Linear in the same <see cref="Sequential"/>, keeping the
/// channels with the largest L1 or L2 weight norm. The channels are really removed: the layer's weight and bias shrink,
/// a BatchNorm2d in between loses the same channels, and the next layer's inputs are cut to match (through a Flatten,
/// each channel's block of features). Layers whose output leaves the Sequential (a model's classifier, the last conv of a
/// residual body) are never pruned, so the model's interface does not change.
/// </summary>
/// <remarks>Parameters are replaced: create the optimizer after <see cref="Prune"/>. The layers' channel counts
/// (<c>in_channels</c>, <c>out_channels</c>, <c>in_features</c>, <c>out_features</c>, <c>num_features</c>) follow.</remarks>
public sealed class StructuredPruner
{
    private readonly nn.Module module;

    /// <summary>Prepares to remove <paramref name="ratio"/> (0 ≤ r &lt; 1) of the channels of each prunable layer.</summary>
    public StructuredPruner(nn.Module module, double ratio, ChannelNorm norm = ChannelNorm.L1)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (ratio is < 0 or >= 1 || double.IsNaN(ratio))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the share of channels to remove: 0 ≤ ratio < 1");
        }

        this.module = module;
        Ratio = ratio;
        Norm = norm;
    }

    /// <summary>The share of channels removed from each prunable layer.</summary>
    public double Ratio { get; }

    /// <summary>How channels are ranked.</summary>
    public ChannelNorm Norm { get; }

    /// <summary>Removes the channels. Returns, per pruned layer, its name and channel counts before and after.</summary>
    /// <exception cref="InvalidOperationException">No layer of the module can be pruned this way.</exception>
    public IReadOnlyList<PrunedLayer> Prune()
    {
        var pruned = new List<PrunedLayer>();
        var sequences = module is Sequential root ? [("", root)] : new List<(string, Sequential)>();
        sequences.AddRange(module.named_modules().Where(m => m.module is Sequential && m.name.Length > 0 && !ReferenceEquals(m.module, module)).Select(m => (m.name, (Sequential)m.module)));
        using (no_grad())
        {
            foreach (var (prefix, sequence) in sequences)
            {
                PruneChain(prefix, sequence, pruned);
            }
        }

        if (pruned.Count == 0)
        {
            throw new InvalidOperationException($"'{module.GetName()}' has no Conv2d or Linear whose output feeds another one in the same Sequential; nothing to prune");
        }

        return pruned;
    }

    private void PruneChain(string prefix, Sequential sequence, List<PrunedLayer> pruned)
    {
        var items = sequence.named_children().ToList();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].module is not (Conv2d or Linear) || !IsPlain(items[i].module))
            {
                continue;
            }

            // Walk to the consumer through modules that keep channels apart.
            BatchNorm2d? norm = null;
            var flattened = false;
            nn.Module? consumer = null;
            for (var j = i + 1; j < items.Count && consumer is null; j++)
            {
                switch (items[j].module)
                {
                    case BatchNorm2d bn when norm is null && !flattened:
                        norm = bn;
                        break;
                    case ReLU or GELU or Sigmoid or Tanh or Dropout or MaxPool2d or AvgPool2d or AdaptiveAvgPool2d when !flattened:
                        break;
                    case Flatten flatten when items[i].module is Conv2d && flatten.start_dim == 1 && flatten.end_dim == -1:
                        flattened = true;
                        break;
                    case Conv2d next when !flattened && IsPlain(next):
                        consumer = next;
                        break;
                    case Linear next when flattened || items[i].module is Linear:
                        consumer = next;
                        break;
                    default:
                        j = items.Count;
                        break;
                }
            }

            if (consumer is not null)
            {
                var name = prefix.Length == 0 ? items[i].name : $"{prefix}.{items[i].name}";
                pruned.Add(PruneProducer(name, items[i].module, norm, consumer));
            }
        }
    }

    private static bool IsPlain(nn.Module layer) => layer switch
    {
        Conv2d conv => conv.groups == 1 && conv.weight is not null,
        Linear linear => linear.weight is not null,
        _ => false,
    };

    private PrunedLayer PruneProducer(string name, nn.Module producer, BatchNorm2d? norm, nn.Module consumer)
    {
        using var scope = NewDisposeScope();
        var weight = producer is Conv2d c ? c.weight! : ((Linear)producer).weight!;
        var channels = weight.shape[0];
        var keepCount = Math.Max(1, channels - (long)Math.Floor(Ratio * channels));
        var flat = weight.detach().reshape(channels, -1);
        var score = Norm == ChannelNorm.L1 ? flat.abs().sum(1) : flat.mul(flat).sum(1).sqrt();
        var (_, top) = score.topk((int)keepCount);
        var keep = top.sort().Values;

        switch (producer)
        {
            case Conv2d conv:
                conv.weight = Shrink(conv.weight!, 0, keep);
                conv.bias = conv.bias is null ? null : Shrink(conv.bias, 0, keep);
                LayerShapes.SetChannels(conv, conv.in_channels, keepCount);
                break;
            case Linear linear:
                linear.weight = Shrink(linear.weight!, 0, keep);
                linear.bias = linear.bias is null ? null : Shrink(linear.bias, 0, keep);
                linear.out_features = keepCount;
                break;
        }

        if (norm is not null)
        {
            if (norm.weight is not null)
            {
                norm.weight = Shrink(norm.weight, 0, keep);
            }

            if (norm.bias is not null)
            {
                norm.bias = Shrink(norm.bias, 0, keep);
            }

            if (norm.running_mean is not null)
            {
                norm.running_mean = norm.running_mean.index_select(0, keep).DetachFromDisposeScope();
            }

            if (norm.running_var is not null)
            {
                norm.running_var = norm.running_var.index_select(0, keep).DetachFromDisposeScope();
            }

            LayerShapes.SetFeatures(norm, keepCount);

        }

        switch (consumer)
        {
            case Conv2d next:
                next.weight = Shrink(next.weight!, 1, keep);
                LayerShapes.SetChannels(next, keepCount, next.out_channels);
                break;
            case Linear next:
                var perChannel = next.in_features / channels;
                using (var blockSize = perChannel.ToScalar()) // held: a temporary Scalar can be finalized during the call
                {
                    var features = keep.unsqueeze(1).mul(blockSize).add(arange(HeldScalars.Zero, blockSize, HeldScalars.One).unsqueeze(0), HeldScalars.One);
                    next.weight = Shrink(next.weight!, 1, features.flatten());
                }

                next.in_features = keepCount * perChannel;
                break;
        }

        return new PrunedLayer(name, channels, keepCount);
    }

    private static Parameter Shrink(Parameter parameter, long dimension, Tensor keep) =>
        new Parameter(parameter.detach().index_select(dimension, keep).contiguous().DetachFromDisposeScope(), parameter.requires_grad);
}

/// <summary>One layer <see cref="StructuredPruner"/> pruned.</summary>
/// <param name="Name">Its path in the module.</param>
/// <param name="ChannelsBefore">Output channels (or features) before.</param>
/// <param name="ChannelsAfter">And after.</param>
public sealed record PrunedLayer(string Name, long ChannelsBefore, long ChannelsAfter);
