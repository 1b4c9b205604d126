using static TorchSharp.torch;

namespace DeepSeek.Torch.Pruning;

/// <summary>
/// N:M sparsity: in every group of <see cref="M"/> consecutive weights along a layer's input (each output row of a Linear,
/// each filter of a Conv2d flattened), only the <see cref="N"/> largest in magnitude stay.
/// </summary>
public sealed record SparsityPattern
{
    /// <summary>Creates an N:M pattern.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unless 0 &lt; <paramref name="n"/> &lt; <paramref name="m"/>.</exception>
    public SparsityPattern(int n, int m)
    {
        if (n <= 0 || m <= n)
        {
            throw new ArgumentOutOfRangeException(nameof(n), $"an N:M pattern needs 0 < N < M (got {n}:{m})");
        }

        N = n;
        M = m;
    }

    /// <summary>2:4, the pattern sparse tensor cores run.</summary>
    public static SparsityPattern TwoFour { get; } = new(2, 4);

    /// <summary>1:16, the 3.x sparse compute engine's pattern.</summary>
    public static SparsityPattern OneSixteen { get; } = new(1, 16);

    /// <summary>Weights kept per group.</summary>
    public int N { get; }

    /// <summary>Group size.</summary>
    public int M { get; }

    /// <summary>The share of weights the pattern removes: 1 − N/M.</summary>
    public double Sparsity => 1.0 - ((double)N / M);

    /// <summary>True when <paramref name="weight"/>'s rows split into whole groups.</summary>
    public bool Fits(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return weight.numel() / weight.shape[0] % M == 0;
    }

    /// <summary>The 0/1 mask (weight's shape and type) that keeps the N largest of every M.</summary>
    public Tensor Mask(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!Fits(weight))
        {
            throw new ArgumentException($"a row of {weight.numel() / weight.shape[0]} weights does not split into groups of {M}", nameof(weight));
        }

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var groups = weight.detach().abs().reshape(-1, M);
        var (_, keep) = groups.topk(N, dim: 1);
        var mask = zeros_like(groups).scatter_(1, keep, ones_like(groups));
        return mask.reshape(weight.shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override string ToString() => $"{N}:{M}";
}
