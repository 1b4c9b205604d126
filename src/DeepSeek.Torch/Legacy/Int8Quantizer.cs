using DeepSeek.Torch.Quantization;
using static TorchSharp.torch;

namespace DeepSeek.Torch.V1;

/// <summary>
/// The 1.x INT8 quantizer: rounds every Linear and Conv2d weight onto an 8-bit grid, per tensor by default.
/// A thin shim over <see cref="DynamicQuantizer"/>; migrate to
/// <c>new DynamicQuantizer(model, bits: 8).Optimize()</c> (per-channel) and <c>Freeze()</c> before export.
/// </summary>
[Obsolete("Int8Quantizer is the 1.x API: use new DynamicQuantizer(model, bits: 8).Optimize(), then Freeze() before export", DiagnosticId = Legacy.MigrationIds.Int8Quantizer, UrlFormat = Legacy.MigrationIds.UrlFormat)]
public sealed class Int8Quantizer
{
    private readonly nn.Module model;

    /// <summary>Prepares to quantize <paramref name="model"/>; <paramref name="perChannel"/> was off by default in 1.x.</summary>
    public Int8Quantizer(nn.Module model, bool perChannel = false)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        PerChannel = perChannel;
    }

    /// <summary>True for one scale per output channel.</summary>
    public bool PerChannel { get; }

    /// <summary>Quantizes the weights in place and returns the model.</summary>
    public nn.Module Quantize()
    {
        using var quantizer = new DynamicQuantizer(model, bits: 8, PerChannel);
        quantizer.Freeze();
        return model;
    }
}
