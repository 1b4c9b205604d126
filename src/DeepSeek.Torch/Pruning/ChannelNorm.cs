namespace DeepSeek.Torch.Pruning;

/// <summary>How <see cref="StructuredPruner"/> ranks a channel: by the L1 or the L2 norm of its weights.</summary>
public enum ChannelNorm
{
    /// <summary>Sum of absolute values.</summary>
    L1,

    /// <summary>Euclidean norm.</summary>
    L2,
}
