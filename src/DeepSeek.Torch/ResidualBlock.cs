using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch;

/// <summary>
/// A residual block: <c>body(x) + shortcut(x)</c>, then a ReLU when asked for. The shortcut is the identity when none is
/// given (a 1x1 <see cref="Conv2d"/>, often with a <see cref="BatchNorm2d"/>, when the body changes the shape). The ONNX
/// exporter writes the sum as an <c>Add</c> node.
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential body;
    private readonly nn.Module<Tensor, Tensor>? shortcut;

    /// <summary>Creates the block.</summary>
    /// <param name="body">The main path.</param>
    /// <param name="shortcut">The skip path; <see langword="null"/> for the identity.</param>
    /// <param name="relu">Whether a ReLU follows the sum.</param>
    /// <param name="name">The module's name.</param>
    public ResidualBlock(Sequential body, nn.Module<Tensor, Tensor>? shortcut = null, bool relu = false, string name = nameof(ResidualBlock))
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(body);
        this.body = body;
        this.shortcut = shortcut;
        Relu = relu;
        RegisterComponents();
    }

    /// <summary>The main path.</summary>
    public Sequential Body => body;

    /// <summary>The skip path; <see langword="null"/> for the identity.</summary>
    public nn.Module<Tensor, Tensor>? Shortcut => shortcut;

    /// <summary>Whether a ReLU follows the sum.</summary>
    public bool Relu { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var sum = body.call(input).add(shortcut is null ? input : shortcut.call(input), HeldScalars.One);
        var output = Relu ? nn.functional.relu(sum) : sum;
        return output.MoveToOuterDisposeScope();
    }
}
