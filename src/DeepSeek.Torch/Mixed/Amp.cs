using TorchSharp;
using DeepSeek.Torch.Layers;
using DeepSeek.Torch.Optim;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Mixed;

/// <summary>
/// Automatic mixed precision for a model's Linear and Conv2d layers (the 3.x "AMP 2.0"): inside <see cref="Autocast"/>
/// those layers compute in <see cref="ComputeType"/> — bfloat16 on CPU, float16 on CUDA — from their float32 weights,
/// cast on the fly as PyTorch's autocast does, so the weights and the optimizer stay float32. With float16, losses are
/// scaled (<see cref="ScaleLoss"/>) and <see cref="Step"/> unscales the gradients, skips a step whose gradients overflowed
/// and adapts the scale; bfloat16 has float32's range and needs no scaling.
/// </summary>
/// <example><code>
/// var amp = new Amp(model);
/// using (amp.Autocast()) { loss = criterion(model.forward(x), y); }
/// amp.ScaleLoss(loss).backward();
/// amp.Step(optimizer);
/// </code></example>
/// <remarks>On CPUs without bfloat16 arithmetic (no AMX / AVX512-BF16) this runs no faster than float32; it gives the
/// reduced-precision numerics the model will see on such hardware.</remarks>
public sealed class Amp
{
    private const int GrowthInterval = 2000;
    private readonly nn.Module model;
    private int goodSteps;

    /// <summary>Mixed precision for <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="computeType">bfloat16 or float16; by default float16 where CUDA is available, else bfloat16.</param>
    /// <exception cref="ArgumentException">Another type.</exception>
    public Amp(nn.Module model, ScalarType? computeType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        ComputeType = computeType ?? (cuda.is_available() ? ScalarType.Float16 : ScalarType.BFloat16);
        if (ComputeType is not (ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentException($"mixed precision computes in bfloat16 or float16, not {ComputeType}", nameof(computeType));
        }

        LossScaling = ComputeType == ScalarType.Float16;
        Scale = LossScaling ? 65536.0 : 1.0;
    }

    /// <summary>The type the layers compute in.</summary>
    public ScalarType ComputeType { get; }

    /// <summary>True with float16: losses are scaled and overflowing steps skipped.</summary>
    public bool LossScaling { get; }

    /// <summary>The current loss scale (1 without scaling).</summary>
    public double Scale { get; private set; }

    /// <summary>Steps skipped because gradients were not finite.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>Runs the model's Linear and Conv2d layers in <see cref="ComputeType"/> until disposed.</summary>
    public IDisposable Autocast()
    {
        var layers = LayerOverride.Layers(model).Select(l => LayerOverride.For(l.Layer)).ToList();
        foreach (var layer in layers)
        {
            layer.ComputeType = ComputeType;
            layer.Hook();
        }

        return new Scope(layers);
    }

    /// <summary>The loss times <see cref="Scale"/>; call <c>backward()</c> on it.</summary>
    public Tensor ScaleLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (!LossScaling)
        {
            return loss;
        }

        using var scale = Scale.ToScalar(); // held: a temporary Scalar can be finalized during the call (issue 11)
        var scaled = loss.mul(scale);
        GC.KeepAlive(loss);
        return scaled;
    }

    /// <summary>
    /// Unscales the gradients and steps <paramref name="optimizer"/>, unless a gradient is not finite: then the step is
    /// skipped, the gradients cleared and the scale halved. Returns true when it stepped.
    /// </summary>
    public bool Step(DeepSeekOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (LossScaling)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var scale = Scale.ToScalar(); // held: a temporary Scalar can be finalized during the call (issue 11)
            var gradients = optimizer.Parameters.Select(p => p.grad).OfType<Tensor>().ToList();
            foreach (var grad in gradients)
            {
                grad.div_(scale);
            }

            if (!NonFiniteValues.AllFinite(gradients))
            {
                SkippedSteps++;
                Scale /= 2;
                goodSteps = 0;
                optimizer.zero_grad();
                return false;
            }

            if (++goodSteps % GrowthInterval == 0)
            {
                Scale *= 2;
            }
        }

        optimizer.Update(closure: null, checkGradients: !LossScaling); // float16: the gradients were checked above
        return true;
    }

    private sealed class Scope(List<LayerOverride> layers) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                layers.ForEach(l => l.EndAutocast());
            }
        }
    }
}
