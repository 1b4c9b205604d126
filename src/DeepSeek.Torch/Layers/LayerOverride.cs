using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Layers;

/// <summary>
/// Runs a <see cref="Linear"/> or <see cref="Conv2d"/> layer with its weight passed through differentiable transforms
/// (fake quantization, pruning masks) and, optionally, in a lower precision (autocast). Forward hooks do it without
/// replacing the module: the pre-hook keeps the real input and hands the layer an empty batch, the post-hook computes the
/// output from the kept input with <c>functional.linear</c>/<c>conv2d</c>. Gradients reach the layer's own parameters
/// through the transforms, so optimizers created over <c>module.parameters()</c> keep working.
/// </summary>
internal sealed class LayerOverride
{
    private static readonly ConditionalWeakTable<nn.Module, LayerOverride> Overrides = new();

    private readonly nn.Module<Tensor, Tensor> layer;
    private readonly List<IWeightTransform> transforms = [];
    private nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover? pre;
    private nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover? post;
    private Tensor? input;

    private LayerOverride(nn.Module<Tensor, Tensor> layer) => this.layer = layer;

    /// <summary>The precision the layer computes in while an autocast scope is on it; null for the weight's own.</summary>
    public ScalarType? ComputeType { get; set; }

    /// <summary>True for the layers an override can run: <see cref="Linear"/> and zero-padded, explicitly padded <see cref="Conv2d"/>.</summary>
    public static bool Supports(nn.Module module) => module switch
    {
        Linear => true,
        Conv2d conv => conv.padding_mode == PaddingModes.Zeros && conv.padding_type is null,
        _ => false,
    };

    /// <summary>The layers of <paramref name="root"/> an override can run, with their names (<c>named_modules</c> order).</summary>
    public static IEnumerable<(string Name, nn.Module<Tensor, Tensor> Layer)> Layers(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var (name, module) in root.named_modules())
        {
            if (module is nn.Module<Tensor, Tensor> layer && Supports(module))
            {
                yield return (name.Length == 0 ? module.GetName() : name, layer);
            }
        }
    }

    /// <summary>The override of <paramref name="layer"/>, created (hooks registered) on first use.</summary>
    public static LayerOverride For(nn.Module<Tensor, Tensor> layer) => Overrides.GetValue(layer, l => new LayerOverride((nn.Module<Tensor, Tensor>)l));

    /// <summary>Adds a weight transform, applied after those added before it.</summary>
    public void Add(IWeightTransform transform)
    {
        transforms.Add(transform);
        Hook();
    }

    /// <summary>Removes a transform; the hooks go when nothing is left to do.</summary>
    public void Remove(IWeightTransform transform)
    {
        transforms.Remove(transform);
        Unhook();
    }

    /// <summary>Ends an autocast on this layer.</summary>
    public void EndAutocast()
    {
        ComputeType = null;
        Unhook();
    }

    /// <summary>Turns on the hooks (also used by autocast, which has no weight transform).</summary>
    public void Hook()
    {
        if (pre is not null)
        {
            return;
        }

        pre = layer.register_forward_pre_hook((_, x) =>
        {
            input = x;
            // An empty batch costs nothing to run; a 1-D input has no batch to empty, so the layer runs it (and it is dropped).
            return x.dim() >= 2 ? x.narrow(0, 0, 0) : x;
        });
        post = layer.register_forward_hook((_, _, output) =>
        {
            var x = input ?? throw new InvalidOperationException("the forward pre-hook did not run");
            input = null;
            output.Dispose();
            return Forward(x);
        });
    }

    /// <summary>The weight after every transform, as the layer's next forward would use it (no autocast).</summary>
    public Tensor TransformedWeight()
    {
        var weight = Weight();
        Tensor result = weight;
        foreach (var transform in transforms)
        {
            result = transform.Apply(result);
        }

        return result;
    }

    private void Unhook()
    {
        if (transforms.Count > 0 || ComputeType is not null || pre is null)
        {
            return;
        }

        pre.remove();
        post!.remove();
        pre = post = null;
    }

    private Parameter Weight() => layer switch
    {
        Linear linear => linear.weight!,
        Conv2d conv => conv.weight!,
        _ => throw new InvalidOperationException($"{layer.GetName()} is not a Linear or Conv2d layer"),
    };

    private Tensor Forward(Tensor x)
    {
        var weight = TransformedWeight();
        Tensor? bias = layer switch
        {
            Linear linear => linear.bias,
            Conv2d conv => conv.bias,
            _ => null,
        };

        var outputType = x.dtype;
        if (ComputeType is { } compute && compute != x.dtype)
        {
            x = x.to(compute);
            weight = weight.to(compute);
            bias = bias?.to(compute);
        }

        var y = layer switch
        {
            Conv2d conv => nn.functional.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups),
            _ => nn.functional.linear(x, weight, bias),
        };

        return y.dtype == outputType ? y : y.to(outputType);
    }
}

/// <summary>A differentiable function of a layer's weight (fake quantization, a pruning mask).</summary>
internal interface IWeightTransform
{
    /// <summary>The weight to compute with; gradients flow back to <paramref name="weight"/>.</summary>
    Tensor Apply(Tensor weight);
}
