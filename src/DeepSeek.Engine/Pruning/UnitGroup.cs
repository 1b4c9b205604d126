using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>A constant input of a node that holds one entry per unit along <see cref="Axis"/> (a bias, BatchNormalization's
/// parameters, a consumer's input channels or rows): sliced with the units.</summary>
/// <param name="Node">The node reading it.</param>
/// <param name="Input">The input's index.</param>
/// <param name="Axis">The tensor's axis of units.</param>
internal sealed record UnitSlice(NodeProto Node, int Input, int Axis);

/// <summary>
/// A layer whose output units can be removed: the producer (a Conv's output channels, a MatMul's columns), everything that
/// reads them one unit at a time (activations, per-unit constants, BatchNormalization), and the consumers whose weights read
/// them as input channels (Conv) or rows (MatMul). Nothing else sees the units, so removing some changes only these tensors.
/// </summary>
internal sealed class UnitGroup
{
    /// <summary>The producing node.</summary>
    public required NodeProto Producer { get; init; }

    /// <summary>The producer's weight input and its axis of units (Conv: 0, MatMul: 1).</summary>
    public required UnitSlice Weight { get; init; }

    /// <summary>Units the producer makes.</summary>
    public required int Units { get; init; }

    /// <summary>Per-unit constants between producer and consumers (including the producer's bias).</summary>
    public required IReadOnlyList<UnitSlice> PerUnit { get; init; }

    /// <summary>The consumers' weights, sliced along their input axis.</summary>
    public required IReadOnlyList<UnitSlice> Consumers { get; init; }

    /// <summary>The values the consumers read (the units as they arrive: for statistics).</summary>
    public required IReadOnlyList<string> ConsumedValues { get; init; }

    /// <summary>Every value that carries the units (their shapes change).</summary>
    public required IReadOnlyList<string> Values { get; init; }

    /// <summary>Weights per unit: the producer's filter and the consumers' rows.</summary>
    public required long ParametersPerUnit { get; init; }

    /// <summary>What the units are, for reports: <c>conv-channels</c> or <c>ffn-units</c>.</summary>
    public string Kind => Producer.OpType == "Conv" ? "conv-channels" : "ffn-units";

    /// <summary>The layer's name in reports: the producer's node name, else its weight's name.</summary>
    public string Name => Producer.Name.Length > 0 ? Producer.Name : Producer.Input[1];
}
