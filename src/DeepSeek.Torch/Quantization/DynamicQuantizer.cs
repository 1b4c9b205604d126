using DeepSeek.Torch.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Quantization;

/// <summary>
/// Weight quantization for every <see cref="Linear"/> and <see cref="Conv2d"/> layer of a module (the 3.x API):
/// <see cref="Optimize"/> turns on fake quantization — each forward computes with the weight rounded onto a 4- or 8-bit
/// grid, per output channel, and the gradient reaches the float weight unchanged (straight-through estimator) — so the
/// same object serves post-training evaluation and quantization-aware fine-tuning. <see cref="Freeze"/> then writes the
/// rounded weights into the layers, ready for ONNX export and the build's INT8/INT4 recipes.
/// </summary>
/// <example><code>
/// using var quantizer = new DynamicQuantizer(model, bits: 8).Optimize();
/// // ... fine-tune: forward, loss.backward(), optimizer.step() ...
/// quantizer.Freeze();
/// </code></example>
public sealed class DynamicQuantizer : IDisposable
{
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Layer)> layers;
    private readonly Transform transform;
    private bool active;

    /// <summary>Prepares to quantize <paramref name="module"/>'s weights to <paramref name="bits"/> bits.</summary>
    /// <param name="module">The model; its Linear and Conv2d layers are quantized.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="perChannel">One scale per output channel (the default, and the build's form); false for one per tensor.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is not 4 or 8.</exception>
    /// <exception cref="ArgumentException">The module has no Linear or Conv2d layer.</exception>
    public DynamicQuantizer(nn.Module module, int bits = 8, bool perChannel = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (bits is not (4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "DynamicQuantizer quantizes to 4 or 8 bits");
        }

        Bits = bits;
        PerChannel = perChannel;
        layers = LayerOverride.Layers(module).ToList();
        if (layers.Count == 0)
        {
            throw new ArgumentException($"'{module.GetName()}' has no Linear or zero-padded Conv2d layer to quantize", nameof(module));
        }

        transform = new Transform(bits, perChannel);
    }

    /// <summary>The bit width: 4 or 8.</summary>
    public int Bits { get; }

    /// <summary>True for one scale per output channel.</summary>
    public bool PerChannel { get; }

    /// <summary>The names of the quantized layers.</summary>
    public IReadOnlyList<string> Layers => layers.Select(l => l.Name).ToList();

    /// <summary>Turns on fake quantization of every layer's weight (idempotent). Returns this quantizer.</summary>
    public DynamicQuantizer Optimize()
    {
        ObjectDisposedException.ThrowIf(transform.Disposed, this);
        if (!active)
        {
            foreach (var (_, layer) in layers)
            {
                LayerOverride.For(layer).Add(transform);
            }

            active = true;
        }

        return this;
    }

    /// <summary>
    /// Writes the quantized weights into the layers (they then hold only grid values) and turns fake quantization off.
    /// Returns the largest change made to any weight.
    /// </summary>
    public double Freeze()
    {
        ObjectDisposedException.ThrowIf(transform.Disposed, this);
        Remove();
        var largest = 0.0;
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var (_, layer) in layers)
            {
                var weight = layer is Linear linear ? linear.weight! : ((Conv2d)layer).weight!;
                var quantized = FakeQuantization.Quantize(weight, Bits, PerChannel);
                largest = Math.Max(largest, (quantized - weight).abs().max().item<float>());
                weight.copy_(quantized);
            }
        }

        return largest;
    }

    /// <summary>Turns fake quantization off without changing any weight.</summary>
    public void Dispose()
    {
        Remove();
        transform.Disposed = true;
    }

    private void Remove()
    {
        if (!active)
        {
            return;
        }

        foreach (var (_, layer) in layers)
        {
            LayerOverride.For(layer).Remove(transform);
        }

        active = false;
    }

    private sealed class Transform(int bits, bool perChannel) : IWeightTransform
    {
        public bool Disposed { get; set; }

        public Tensor Apply(Tensor weight) => FakeQuantization.Apply(weight, bits, perChannel);
    }
}
