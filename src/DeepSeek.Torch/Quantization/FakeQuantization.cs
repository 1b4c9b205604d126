using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Quantization;

/// <summary>Symmetric weight quantization onto a signed integer grid, per output channel or per tensor.</summary>
public static class FakeQuantization
{
    /// <summary>The largest grid value for <paramref name="bits"/>: 127 for 8 bits, 7 for 4.</summary>
    public static int MaxLevel(int bits) => (1 << (bits - 1)) - 1;

    /// <summary>
    /// The weight rounded onto the grid: <c>scale = max|w| / MaxLevel</c> per output channel (dimension 0) or for the whole
    /// tensor, <c>q = clamp(round(w / scale)) · scale</c>. In the forward pass it is <c>q</c>; in the backward pass its
    /// gradient goes to <paramref name="weight"/> unchanged (straight-through estimator).
    /// </summary>
    public static Tensor Apply(Tensor weight, int bits, bool perChannel = true)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = NewDisposeScope();
        Tensor quantized;
        using (no_grad())
        {
            quantized = Quantize(weight.detach(), bits, perChannel);
        }

        return weight.add(quantized.sub(weight).detach(), HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>The grid values themselves (no gradient): what <see cref="DynamicQuantizer.Freeze"/> writes into a layer.</summary>
    public static Tensor Quantize(Tensor weight, int bits, bool perChannel = true)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = NewDisposeScope();
        var levels = MaxLevel(bits);
        var magnitude = weight.abs();
        var max = perChannel && weight.dim() > 1
            ? magnitude.amax(Enumerable.Range(1, (int)weight.dim() - 1).Select(d => (long)d).ToArray(), keepdim: true)
            : magnitude.max();
        // Scalars held until the end: a temporary one can be finalized while libtorch reads it (issue 11).
        using var tiny = 1e-12.ToScalar();
        using var top = levels.ToScalar();
        using var bottom = (-levels).ToScalar();
        var step = max.clamp_min(tiny).div(top);
        return weight.div(step).round().clamp(bottom, top).mul(step).MoveToOuterDisposeScope();
    }
}
