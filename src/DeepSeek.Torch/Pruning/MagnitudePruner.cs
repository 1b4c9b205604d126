using TorchSharp;
using DeepSeek.Torch.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Pruning;

/// <summary>
/// Unstructured pruning of every <see cref="Linear"/> and <see cref="Conv2d"/> layer: the smallest weights by magnitude
/// (a share of each layer, or an N:M <see cref="SparsityPattern"/>) are masked. The masks are kept through training —
/// each forward computes with <c>weight · mask</c>, so pruned weights contribute nothing and get no gradient — until
/// <see cref="Freeze"/> writes the zeros into the weights.
/// </summary>
public sealed class MagnitudePruner : IDisposable
{
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Layer, MaskTransform Mask)> layers = [];
    private bool disposed;

    /// <summary>Masks <paramref name="sparsity"/> (0 ≤ s &lt; 1) of each layer's weights, the smallest in magnitude.</summary>
    public MagnitudePruner(nn.Module module, double sparsity)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (sparsity is < 0 or >= 1 || double.IsNaN(sparsity))
        {
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity is a share of the weights: 0 ≤ sparsity < 1");
        }

        Build(module, weight => UnstructuredMask(weight, sparsity));
    }

    /// <summary>Masks each layer to the N:M <paramref name="pattern"/>; layers whose rows don't split into groups of M are left dense.</summary>
    public MagnitudePruner(nn.Module module, SparsityPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        Build(module, weight => pattern.Fits(weight) ? pattern.Mask(weight) : null);
    }

    /// <summary>
    /// Masks only the named layers (names as <see cref="Layers"/> gives them, such as <c>fc1</c>) to the N:M <paramref name="pattern"/>:
    /// a classifier's last layer and a first convolution usually stay dense.
    /// </summary>
    /// <exception cref="ArgumentException">When a name is not a Linear or Conv2d layer of <paramref name="module"/>, or its rows do not split into groups of M.</exception>
    public MagnitudePruner(nn.Module module, SparsityPattern pattern, IReadOnlyCollection<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(layerNames);
        Pattern = pattern;
        var known = LayerOverride.Layers(module).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in layerNames.Where(n => !known.Contains(n)))
        {
            throw new ArgumentException($"'{name}' is not a Linear or Conv2d layer of '{module.GetName()}' (its layers: {string.Join(", ", known)})", nameof(layerNames));
        }

        Build(module, weight => pattern.Mask(weight), name => layerNames.Contains(name));
    }

    /// <summary>The N:M pattern, or null for unstructured pruning.</summary>
    public SparsityPattern? Pattern { get; }

    /// <summary>The names of the masked layers.</summary>
    public IReadOnlyList<string> Layers => layers.Select(l => l.Name).ToList();

    /// <summary>The share of the masked layers' weights that are masked.</summary>
    public double Sparsity
    {
        get
        {
            double zeros = 0, total = 0;
            foreach (var (_, _, mask) in layers)
            {
                total += mask.Mask.numel();
                zeros += mask.Mask.numel() - mask.Mask.count_nonzero().item<long>();
            }

            return total == 0 ? 0 : zeros / total;
        }
    }

    /// <summary>Writes the zeros into the weights and removes the masks. Returns the share of weights now zero in those layers.</summary>
    public double Freeze()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var sparsity = Sparsity;
        using (no_grad())
        {
            foreach (var (_, layer, mask) in layers)
            {
                var weight = layer is Linear linear ? linear.weight! : ((Conv2d)layer).weight!;
                weight.mul_(mask.Mask);
            }
        }

        Dispose();
        return sparsity;
    }

    /// <summary>Removes the masks without changing the weights.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        foreach (var (_, layer, mask) in layers)
        {
            LayerOverride.For(layer).Remove(mask);
            mask.Mask.Dispose();
        }

        disposed = true;
    }

    private void Build(nn.Module module, Func<Tensor, Tensor?> maskOf, Func<string, bool>? include = null)
    {
        foreach (var (name, layer) in LayerOverride.Layers(module).Where(l => include?.Invoke(l.Name) ?? true))
        {
            var weight = layer is Linear linear ? linear.weight! : ((Conv2d)layer).weight!;
            if (maskOf(weight) is { } mask)
            {
                var transform = new MaskTransform(mask.DetachFromDisposeScope());
                LayerOverride.For(layer).Add(transform);
                layers.Add((name, layer, transform));
            }
        }

        if (layers.Count == 0)
        {
            throw new ArgumentException($"'{module.GetName()}' has no Linear or zero-padded Conv2d layer this pruning applies to", nameof(module));
        }
    }

    private static Tensor UnstructuredMask(Tensor weight, double sparsity)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var magnitude = weight.detach().abs().flatten();
        var count = (long)Math.Floor(sparsity * magnitude.numel());
        var mask = ones_like(magnitude);
        if (count > 0)
        {
            var (_, smallest) = magnitude.topk((int)count, dim: 0, largest: false);
            using var zero = 0.ToScalar(); // held: a temporary Scalar can be finalized during the call (issue 11)
            mask.index_fill_(0, smallest, zero);
        }

        return mask.reshape(weight.shape).MoveToOuterDisposeScope();
    }

    private sealed class MaskTransform(Tensor mask) : IWeightTransform
    {
        public Tensor Mask { get; } = mask;

        public Tensor Apply(Tensor weight) => weight * Mask;
    }
}
