using static TorchSharp.torch;

namespace DeepSeek.Torch;

/// <summary>The NaN/infinity checks the optimizer, AMP and the exporter share. Call them inside a dispose scope.</summary>
internal static class NonFiniteValues
{
    /// <summary>True when every value of every tensor is finite: one reduction per tensor, one synchronization in all.</summary>
    public static bool AllFinite(IEnumerable<Tensor> tensors)
    {
        var flags = tensors.Select(t => t.isfinite().all()).ToArray();
        return flags.Length == 0 || stack(flags).all().item<bool>();
    }

    /// <summary>How many values of <paramref name="tensor"/> are NaN or infinite.</summary>
    public static long Count(Tensor tensor) => tensor.isfinite().logical_not().sum().item<long>();
}
