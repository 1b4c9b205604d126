using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Finds the layers whose units can be removed (<see cref="UnitGroup"/>): from each Conv (group 1) or MatMul with constant
/// float weights, the units are followed through the nodes that treat each unit on its own (activations, BatchNormalization,
/// Add/Sub/Mul/Div with a scalar or per-unit constant) to consumers that read them as weights' input axis. A layer whose
/// units reach anything else is left to <see cref="TiedChannels"/> (Conv channels tied by residual additions, depthwise
/// convolutions, pools and concatenations, pruned together) or left whole (a reshape, a graph output). Self-attention
/// blocks are found by <see cref="AttentionHeads"/>: their heads are units too.
/// </summary>
internal static class UnitGroups
{
    /// <summary>Operators that treat each unit on its own (their first input carries the units).</summary>
    internal static readonly HashSet<string> UnitWise =
        ["Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Erf", "Gelu", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Identity", "Neg", "Abs", "Clip", "Dropout", "Mish"];

    /// <summary>Element-wise arithmetic: unit-wise with a scalar or per-unit constant.</summary>
    internal static readonly HashSet<string> Arithmetic = ["Add", "Sub", "Mul", "Div"];

    /// <summary>The prunable layers of <paramref name="editor"/>'s graph.</summary>
    public static IReadOnlyList<UnitGroup> Find(GraphEditor editor)
    {
        var groups = new List<UnitGroup>();
        var claimed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in editor.Graph.Node.Where(n => n.Domain is "" or "ai.onnx").ToArray())
        {
            if (claimed.Contains(node) || Start(editor, node) is not { } start)
            {
                continue;
            }

            // Channels that meet others (a residual addition, a depthwise convolution, a pool, a concatenation) are pruned with every Conv they are tied to.
            var group = Follow(editor, node, start.Weight, start.Units, start.Rank, start.PerUnit)
                ?? (node.OpType == "Conv" ? TiedChannels.From(editor, node) : null);
            if (group is not null && group.Weights.All(w => !claimed.Contains(w.Node)))
            {
                groups.Add(group);
                claimed.UnionWith(group.Weights.Select(w => w.Node));
            }
        }

        groups.AddRange(AttentionHeads.Find(editor));
        var order = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        foreach (var (node, index) in editor.Graph.Node.Select((n, i) => (n, i)))
        {
            order[node] = index;
        }

        return groups.OrderBy(g => order[g.Producer]).ToList();
    }

    private static (UnitSlice Weight, int Units, int Rank, List<UnitSlice> PerUnit)? Start(GraphEditor editor, NodeProto node)
    {
        if (DenseConv(editor, node, out var w))
        {
            if (!FloatBiasOrNone(editor, node))
            {
                return null;
            }

            List<UnitSlice> perUnit = node.Input.Count > 2 && node.Input[2].Length > 0 ? [new UnitSlice(node, 2, 0)] : [];
            return (new UnitSlice(node, 1, 0), (int)w.Dims[0], w.Dims.Count, perUnit);
        }

        if (node.OpType == "MatMul" && editor.ConstantTensor(node.Input[0]) is null
            && editor.ConstantTensor(node.Input[1]) is { DataType: (int)TensorProto.Types.DataType.Float } b && b.Dims.Count == 2)
        {
            return (new UnitSlice(node, 1, 1), (int)b.Dims[1], 0, []);
        }

        return null;
    }

    /// <summary>Follows the units from the producer's output; null when they reach a node that mixes them with others.
    /// <c>rank</c> is the output's rank for a Conv (its weight's rank; units on axis 1), 0 for a MatMul (units on the last axis).</summary>
    private static UnitGroup? Follow(GraphEditor editor, NodeProto producer, UnitSlice weight, int units, int rank, List<UnitSlice> perUnit)
    {
        var fromRight = rank == 0 ? 0 : rank - 2; // the units' axis counted from the right, as broadcasting aligns shapes
        var values = new List<string>();
        var region = new HashSet<string>(StringComparer.Ordinal);
        var pending = new List<NodeProto>();
        var done = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var consumers = new List<UnitSlice>();
        var consumed = new List<string>();
        long perUnitParameters = ElementsPerUnit(editor.ConstantTensor(weight.Node.Input[weight.Input])!, weight.Axis);
        if (!Add(producer.Output[0]))
        {
            return null;
        }

        // A node is handled once every input it has is a unit value or a constant (x · erf(x) in GELU reads two unit values);
        // one that never gets there reads a tensor from outside (a residual addition) and the layer stays whole.
        while (pending.Count > 0)
        {
            var ready = pending.FindIndex(n => n.Input.All(x => x.Length == 0 || region.Contains(x) || editor.ConstantTensor(x) is not null));
            if (ready < 0)
            {
                return null;
            }

            var node = pending[ready];
            pending.RemoveAt(ready);
            if (!Handle(node))
            {
                return null;
            }
        }

        return consumers.Count == 0 ? null : new UnitGroup
        {
            Producer = producer,
            Weights = [weight],
            Kind = producer.OpType == "Conv" ? "conv-channels" : "ffn-units",
            Units = units,
            PerUnit = perUnit,
            Consumers = consumers,
            ConsumedValues = consumed.Distinct(StringComparer.Ordinal).ToList(),
            Values = values,
            ParametersPerUnit = perUnitParameters,
        };

        bool Add(string value)
        {
            if (!region.Add(value))
            {
                return true;
            }

            values.Add(value);
            if (editor.IsGraphOutput(value) || editor.Consumers(value).Count == 0)
            {
                return false;
            }

            foreach (var node in editor.Consumers(value))
            {
                if (done.Add(node))
                {
                    pending.Add(node);
                }
            }

            return true;
        }

        bool Handle(NodeProto node)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                return false;
            }

            if (UnitWise.Contains(node.OpType))
            {
                // Only the first input carries units; Clip's bounds and PRelu's slope must be scalars; Dropout's mask unread.
                return region.Contains(node.Input[0]) && ScalarOperands(editor, node) && Add(node.Output[0]);
            }

            if (Arithmetic.Contains(node.OpType) && node.Input.Count == 2)
            {
                for (var k = 0; k < 2; k++)
                {
                    if (region.Contains(node.Input[k]))
                    {
                        continue;
                    }

                    if (!ConstantOperand(editor, node, k, units, fromRight, perUnit))
                    {
                        return false;
                    }
                }

                return Add(node.Output[0]);
            }

            if (node.OpType == "BatchNormalization" && region.Contains(node.Input[0]) && rank > 0
                && node.Output.Skip(1).All(o => o.Length == 0) && NormalizationPerUnit(editor, node, units))
            {
                perUnit.AddRange(Enumerable.Range(1, 4).Select(k => new UnitSlice(node, k, 0)));
                return Add(node.Output[0]);
            }

            if (rank > 0 && DenseConv(editor, node, out var w) && region.Contains(node.Input[0]) && !region.Contains(node.Input[1])
                && w.Dims.Count == rank && w.Dims[1] == units && FloatBiasOrNone(editor, node))
            {
                consumers.Add(new UnitSlice(node, 1, 1));
                consumed.Add(node.Input[0]);
                perUnitParameters += ElementsPerUnit(w, 1);
                return true;
            }

            if (node.OpType == "MatMul" && rank == 0 && region.Contains(node.Input[0]) && !region.Contains(node.Input[1])
                && editor.ConstantTensor(node.Input[1]) is { DataType: (int)TensorProto.Types.DataType.Float } m && m.Dims.Count == 2 && m.Dims[0] == units)
            {
                consumers.Add(new UnitSlice(node, 1, 0));
                consumed.Add(node.Input[0]);
                perUnitParameters += m.Dims[1];
                return true;
            }

            return false;
        }
    }

    /// <summary>A unit-wise node's other inputs are absent or scalar constants (Clip's bounds, PRelu's slope), and its other
    /// outputs (Dropout's mask) are unread.</summary>
    internal static bool ScalarOperands(GraphEditor editor, NodeProto node)
        => node.Input.Skip(1).All(x => x.Length == 0 || (editor.ConstantTensor(x) is { } t && Elements(t) == 1))
            && node.Output.Skip(1).All(o => o.Length == 0 || editor.Consumers(o).Count == 0);

    /// <summary>A BatchNormalization whose scale, shift, mean and variance are constant float vectors of <paramref name="units"/>.</summary>
    internal static bool NormalizationPerUnit(GraphEditor editor, NodeProto node, int units)
        => node.Input.Count >= 5 && Enumerable.Range(1, 4).All(k =>
            editor.ConstantTensor(node.Input[k]) is { DataType: (int)TensorProto.Types.DataType.Float } p && p.Dims.Count == 1 && p.Dims[0] == units);

    /// <summary>A Conv of group 1 with constant float weights (<paramref name="weight"/>).</summary>
    internal static bool DenseConv(GraphEditor editor, NodeProto node, out TensorProto weight)
    {
        weight = null!;
        if (node.OpType != "Conv" || node.Input.Count < 2 || Tensors.IntAttribute(node, "group", 1) != 1
            || editor.ConstantTensor(node.Input[1]) is not { DataType: (int)TensorProto.Types.DataType.Float, Dims.Count: >= 3 } w)
        {
            return false;
        }

        weight = w;
        return true;
    }

    /// <summary>A Conv without a bias, or with a constant float one.</summary>
    internal static bool FloatBiasOrNone(GraphEditor editor, NodeProto conv)
        => conv.Input.Count < 3 || conv.Input[2].Length == 0 || editor.ConstantTensor(conv.Input[2]) is { DataType: (int)TensorProto.Types.DataType.Float };

    /// <summary>
    /// A constant operand of element-wise arithmetic on units: a scalar, or one value per unit on the units' axis
    /// (<paramref name="fromRight"/>, as broadcasting aligns shapes), recorded in <paramref name="perUnit"/>; false for
    /// anything else (a non-float or non-constant tensor, or one that varies along another axis).
    /// </summary>
    internal static bool ConstantOperand(GraphEditor editor, NodeProto node, int input, int units, int fromRight, List<UnitSlice> perUnit)
    {
        if (editor.ConstantTensor(node.Input[input]) is not { DataType: (int)TensorProto.Types.DataType.Float } constant)
        {
            return false;
        }

        if (Elements(constant) == 1)
        {
            return true;
        }

        var axis = constant.Dims.Count - 1 - fromRight;
        if (axis < 0 || constant.Dims[axis] != units || constant.Dims.Where((d, j) => j != axis).Any(d => d != 1))
        {
            return false;
        }

        perUnit.Add(new UnitSlice(node, input, axis));
        return true;
    }

    internal static long Elements(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);

    internal static long ElementsPerUnit(TensorProto tensor, int axis) => Elements(tensor) / tensor.Dims[axis];
}
