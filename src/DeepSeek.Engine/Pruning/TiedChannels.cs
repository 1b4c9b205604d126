using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Channels that several convolutions must keep equal: a residual stream (each block's last Conv and the stream's first Conv
/// meet in Add nodes, and every block reads the sum) or channels passed through depthwise convolutions. Starting from a Conv,
/// every value that carries the same channels is collected in both directions — forwards to the nodes that read it, backwards
/// to the node that made it — through nodes that treat each channel on its own (activations, BatchNormalization, Add/Sub/Mul/Div
/// of two such values or with a scalar or per-channel constant, MaxPool, AveragePool, depthwise Conv). The group's producers are
/// the Convs that write those channels (their filters), its consumers the Convs that read them (their input channels); a
/// depthwise Conv's filters are per-channel constants and its <c>group</c> the number kept. Anything else — a graph input or
/// output, a Reshape, a MatMul, a Conv that reads and writes the same channels — leaves the channels whole. Channels
/// concatenated along the channel axis are followed to the Convs that read the concatenation (through activations and
/// BatchNormalization): those lose the group's input channels at its offset, and keep the other inputs' channels.
/// </summary>
internal static class TiedChannels
{
    private static readonly HashSet<string> Pools = ["MaxPool", "AveragePool"];

    /// <summary>The channels <paramref name="start"/> writes, with every Conv they are tied to; null when they cannot be removed.</summary>
    public static UnitGroup? From(GraphEditor editor, NodeProto start)
    {
        if (!UnitGroups.DenseConv(editor, start, out var first))
        {
            return null;
        }

        var units = (int)first.Dims[0];
        var rank = first.Dims.Count;
        var fromRight = rank - 2;
        var region = new HashSet<string>(StringComparer.Ordinal);
        var values = new List<string>();
        var queue = new Queue<string>();
        var producers = new List<NodeProto>();
        var consumers = new List<NodeProto>();
        var passed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var perUnit = new List<UnitSlice>();
        var depthwise = new List<NodeProto>();
        var offsetConsumers = new List<UnitSlice>();
        Join(start.Output[0]);
        while (queue.Count > 0)
        {
            var value = queue.Dequeue();
            if (editor.IsGraphOutput(value) || editor.Consumers(value).Count == 0)
            {
                return null;
            }

            if (!Made(value) || editor.Consumers(value).Any(node => !Read(node, value)))
            {
                return null;
            }
        }

        if (consumers.Count + offsetConsumers.Count == 0 || producers.Intersect(consumers, ReferenceEqualityComparer.Instance).Any())
        {
            return null;
        }

        var ordered = producers.OrderBy(p => editor.Graph.Node.IndexOf(p)).ToList();
        var weights = ordered.Select(p => new UnitSlice(p, 1, 0)).ToList();
        perUnit.AddRange(ordered.Where(p => p.Input.Count > 2 && p.Input[2].Length > 0).Select(p => new UnitSlice(p, 2, 0)));
        return new UnitGroup
        {
            Producer = ordered[0],
            Weights = weights,
            Kind = ordered.Count > 1 ? "tied-channels" : "conv-channels",
            Units = units,
            PerUnit = perUnit,
            Consumers = [.. consumers.Select(c => new UnitSlice(c, 1, 1)), .. offsetConsumers],
            ConsumedValues = consumers.Concat(offsetConsumers.Select(c => c.Node)).Select(c => c.Input[0]).Distinct(StringComparer.Ordinal).ToList(),
            Values = values,
            GroupCounts = depthwise,
            ParametersPerUnit = ordered.Sum(p => PerUnit(editor, p.Input[1], 0)) + consumers.Concat(offsetConsumers.Select(c => c.Node)).Sum(c => PerUnit(editor, c.Input[1], 1))
                + depthwise.Sum(d => PerUnit(editor, d.Input[1], 0)),
        };

        void Join(string value)
        {
            if (region.Add(value))
            {
                values.Add(value);
                queue.Enqueue(value);
            }
        }

        // The node that made a value of the region: a producer, or a channel-wise node whose inputs join.
        bool Made(string value)
        {
            if (editor.Producer(value) is not { } node)
            {
                return false; // a graph input, or a constant
            }

            if (node.OpType == "Conv" && UnitGroups.DenseConv(editor, node, out var w) && w.Dims[0] == units && w.Dims.Count == rank)
            {
                if (!producers.Contains(node, ReferenceEqualityComparer.Instance))
                {
                    producers.Add(node);
                }

                return UnitGroups.FloatBiasOrNone(editor, node);
            }

            return Pass(node);
        }

        // A node reading a value of the region: a consumer, or a channel-wise node whose output joins.
        bool Read(NodeProto node, string value)
        {
            if (node.OpType == "Conv" && node.Input[0] == value && !region.Contains(node.Input[1]) && UnitGroups.DenseConv(editor, node, out var w)
                && w.Dims.Count == rank && w.Dims[1] == units
                && UnitGroups.FloatBiasOrNone(editor, node))
            {
                if (!consumers.Contains(node, ReferenceEqualityComparer.Instance))
                {
                    consumers.Add(node);
                }

                return true;
            }

            if (node.OpType == "Concat" && node.Input.Count(x => x == value) == 1 && Axis(node, rank) == 1)
            {
                return passed.Add(node) && Concatenated(node, value);
            }

            return Pass(node);
        }

        // The region's channels inside a concatenation along the channels: at an offset of its output, read further on by Convs
        // (through channel-wise activations and BatchNormalization) whose weights lose those input channels, the rest kept.
        bool Concatenated(NodeProto concat, string value)
        {
            var offset = 0;
            var total = 0;
            foreach (var input in concat.Input)
            {
                if (input == value)
                {
                    offset = total;
                }

                if (Channels(editor, input) is not { } channels)
                {
                    return false;
                }

                total += channels;
            }

            var pending = new Queue<string>([concat.Output[0]]);
            while (pending.Count > 0)
            {
                var merged = pending.Dequeue();
                values.Add(merged);
                if (editor.IsGraphOutput(merged) || editor.Consumers(merged).Count == 0)
                {
                    return false;
                }

                foreach (var next in editor.Consumers(merged))
                {
                    if (next.OpType == "Conv" && next.Input[0] == merged && UnitGroups.DenseConv(editor, next, out var w) && w.Dims.Count == rank && w.Dims[1] == total
                        && next.Input.Skip(1).All(x => x != merged))
                    {
                        offsetConsumers.Add(new UnitSlice(next, 1, 1, 1, offset));
                    }
                    else if (UnitGroups.UnitWise.Contains(next.OpType) && next.Input[0] == merged && UnitGroups.ScalarOperands(editor, next))
                    {
                        pending.Enqueue(next.Output[0]);
                    }
                    else if (next.OpType == "BatchNormalization" && next.Input[0] == merged && next.Output.Skip(1).All(o => o.Length == 0)
                        && UnitGroups.NormalizationPerUnit(editor, next, total))
                    {
                        perUnit.AddRange(Enumerable.Range(1, 4).Select(k => new UnitSlice(next, k, 0, 1, offset)));
                        pending.Enqueue(next.Output[0]);
                    }
                    else
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        // A node that treats each channel on its own: every non-constant input and its output carry the region's channels.
        bool Pass(NodeProto node)
        {
            if (!passed.Add(node))
            {
                return true;
            }

            if (node.Domain is not ("" or "ai.onnx") || node.Output.Skip(1).Any(o => o.Length > 0 && editor.Consumers(o).Count > 0))
            {
                return false;
            }

            if (UnitGroups.UnitWise.Contains(node.OpType))
            {
                if (!UnitGroups.ScalarOperands(editor, node))
                {
                    return false;
                }

                Join(node.Input[0]);
            }
            else if (Pools.Contains(node.OpType))
            {
                Join(node.Input[0]);
            }
            else if (node.OpType == "BatchNormalization" && UnitGroups.NormalizationPerUnit(editor, node, units))
            {
                perUnit.AddRange(Enumerable.Range(1, 4).Select(k => new UnitSlice(node, k, 0)));
                Join(node.Input[0]);
            }
            else if (node.OpType == "Conv" && Tensors.IntAttribute(node, "group", 1) == units && units > 1
                && editor.ConstantTensor(node.Input[1]) is { DataType: (int)TensorProto.Types.DataType.Float } dw && dw.Dims.Count == rank && dw.Dims[0] == units && dw.Dims[1] == 1
                && UnitGroups.FloatBiasOrNone(editor, node))
            {
                perUnit.Add(new UnitSlice(node, 1, 0));
                if (node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    perUnit.Add(new UnitSlice(node, 2, 0));
                }

                depthwise.Add(node);
                Join(node.Input[0]);
            }
            else if (UnitGroups.Arithmetic.Contains(node.OpType) && node.Input.Count == 2)
            {
                for (var k = 0; k < 2; k++)
                {
                    if (editor.ConstantTensor(node.Input[k]) is null)
                    {
                        Join(node.Input[k]);
                    }
                    else if (!UnitGroups.ConstantOperand(editor, node, k, units, fromRight, perUnit))
                    {
                        return false;
                    }
                }
            }
            else
            {
                return false;
            }

            Join(node.Output[0]);
            return true;
        }
    }

    /// <summary>A Concat's axis, counted from the left.</summary>
    private static long Axis(NodeProto concat, int rank)
    {
        var axis = Tensors.IntAttribute(concat, "axis", 0);
        return axis < 0 ? axis + rank : axis;
    }

    /// <summary>The channels of a value, traced back through channel-wise nodes to the Conv or Concat that made them; null if unknown.</summary>
    private static int? Channels(GraphEditor editor, string value)
    {
        for (var depth = 0; depth < 64 && editor.Producer(value) is { } node; depth++)
        {
            if (node.OpType == "Conv" && editor.ConstantTensor(node.Input[1]) is { Dims.Count: >= 3 } w)
            {
                return (int)w.Dims[0];
            }

            if (node.OpType == "Concat")
            {
                var sum = 0;
                foreach (var input in node.Input)
                {
                    if (Channels(editor, input) is not { } c)
                    {
                        return null;
                    }

                    sum += c;
                }

                return sum;
            }

            if (!(UnitGroups.UnitWise.Contains(node.OpType) || Pools.Contains(node.OpType) || node.OpType == "BatchNormalization"
                || (UnitGroups.Arithmetic.Contains(node.OpType) && editor.ConstantTensor(node.Input[0]) is null)))
            {
                return null;
            }

            value = node.Input[0];
        }

        return null;
    }

    private static long PerUnit(GraphEditor editor, string weight, int axis) => UnitGroups.ElementsPerUnit(editor.ConstantTensor(weight)!, axis);
}
