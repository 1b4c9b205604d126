using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>A constant input of a node that holds one entry per unit along <see cref="Axis"/> (a bias, BatchNormalization's
/// parameters, a consumer's input channels or rows): sliced with the units.</summary>
/// <param name="Node">The node reading it.</param>
/// <param name="Input">The input's index.</param>
/// <param name="Axis">The tensor's axis of units.</param>
/// <param name="Width">Entries per unit along the axis: 1 for channels and hidden units, the head size for attention heads.</param>
/// <param name="Offset">Where the units start along the axis: 0, or their place in a concatenation that the tensor reads (the
/// entries before and after belong to other layers and are kept).</param>
internal sealed record UnitSlice(NodeProto Node, int Input, int Axis, int Width = 1, int Offset = 0);

/// <summary>An entry of a Reshape's target shape that counts units (attention heads, or heads × head size): rewritten to the
/// kept units times <see cref="PerUnit"/>. The shape is a constant (<see cref="ConcatInput"/> −1, <see cref="Offset"/> the
/// entry) or a Concat of 1-D pieces (the constant piece <see cref="ConcatInput"/>, its entry <see cref="Offset"/>).</summary>
internal sealed record ShapeEdit(NodeProto Reshape, int ConcatInput, int Offset, long PerUnit);

/// <summary>A tensor from outside the layer that its unit values meet in a broadcast (an attention mask added to the scores):
/// it must have size 1 on the units' axis, counted from the right; checked on a measured shape before the layer is pruned.</summary>
internal sealed record BroadcastCheck(string Value, int FromRight);

/// <summary>
/// A layer whose output units can be removed: the producer (a Conv's output channels, a MatMul's columns), everything that
/// reads them one unit at a time (activations, per-unit constants, BatchNormalization), and the consumers whose weights read
/// them as input channels (Conv) or rows (MatMul). Nothing else sees the units, so removing some changes only these tensors.
/// </summary>
internal sealed class UnitGroup
{
    /// <summary>The producing node.</summary>
    public required NodeProto Producer { get; init; }

    /// <summary>The producers' weight inputs and their axis of units (Conv: 0, MatMul: 1); attention heads have three (query,
    /// key and value projections), tied channels one per Conv that writes them.</summary>
    public required IReadOnlyList<UnitSlice> Weights { get; init; }

    /// <summary>Entries per unit on the consumed values' last axis (1; the head size for attention heads).</summary>
    public int Width { get; init; } = 1;

    /// <summary>Reshape targets that count the units (attention heads).</summary>
    public IReadOnlyList<ShapeEdit> ShapeEdits { get; init; } = [];

    /// <summary>Depthwise Convs the units pass through: their <c>group</c> becomes the number of units kept.</summary>
    public IReadOnlyList<NodeProto> GroupCounts { get; init; } = [];

    /// <summary>Outside tensors that must broadcast along the units (attention masks).</summary>
    public IReadOnlyList<BroadcastCheck> Broadcasts { get; init; } = [];

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

    /// <summary>What the units are, for reports: <c>conv-channels</c>, <c>tied-channels</c> (several Convs write them: a
    /// residual stream), <c>ffn-units</c> or <c>attention-heads</c>.</summary>
    public string Kind { get; init; } = "ffn-units";

    /// <summary>The layer's name in reports: the producer's node name, else its weight's name.</summary>
    public string Name => Producer.Name.Length > 0 ? Producer.Name : Producer.Input[1];
}
