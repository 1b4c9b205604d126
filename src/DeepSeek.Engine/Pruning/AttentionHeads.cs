using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Finds self-attention blocks whose heads can be removed, in the form PyTorch exports (BERT and its kin):
/// <code>
/// q, k, v = x·W + b                      [B, S, H·d]   three MatMuls with constant weights (bias Add optional)
/// Reshape to [.., .., H, d], Transpose   [B, H, S, d]  (k: [B, H, d, S], in one Transpose or two)
/// Softmax(q·k (÷ or × a scalar) (+ mask)) · v
/// Transpose, Reshape to [.., .., H·d]    [B, S, H·d]
/// · W_o                                   a MatMul with constant weights
/// </code>
/// A head is d columns of each projection (and of its bias), d rows of W_o, and one entry of the reshapes' targets. Nothing
/// else may read the values in between (except Shape nodes whose Gathers read other axes), and an added mask must broadcast
/// along the heads (<see cref="BroadcastCheck"/>). Anything else — fused QKV projections, Attention contrib ops, rotary
/// embeddings, grouped-query attention — is left whole.
/// </summary>
internal static class AttentionHeads
{
    /// <summary>The blocks of <paramref name="editor"/>'s graph whose heads can be removed.</summary>
    public static IEnumerable<UnitGroup> Find(GraphEditor editor)
    {
        foreach (var softmax in editor.Graph.Node.Where(n => n.OpType == "Softmax" && n.Domain is "" or "ai.onnx").ToArray())
        {
            if (new Match(editor).Run(softmax) is { } group)
            {
                yield return group;
            }
        }
    }

    /// <summary>One attempt at matching the pattern around a Softmax; collects the values it passes through.</summary>
    private sealed class Match(GraphEditor editor)
    {
        /// <summary>Values between the projections and W_o, each with its rank and the axis that carries the heads.</summary>
        private readonly List<(string Value, int Rank, int Axis)> inner = [];
        private readonly HashSet<NodeProto> nodes = new(ReferenceEqualityComparer.Instance);
        private readonly List<BroadcastCheck> broadcasts = [];
        private readonly List<UnitSlice> biases = [];
        private readonly List<ShapeEdit> shapes = [];

        public UnitGroup? Run(NodeProto softmax)
        {
            if (Tensors.Attribute(softmax, "axis") is not { } axis || axis.I is not (3 or -1))
            {
                return null;
            }

            // Scores: q·kᵀ, maybe scaled and masked, into the Softmax.
            Take(softmax, softmax.Output[0], 4, 1);
            if (Scores(softmax.Input[0]) is not { } scores)
            {
                return null;
            }

            // Query [B, H, S, d] and key [B, H, d, S] from their projections.
            var query = Heads(scores.Input[0], [0, 2, 1, 3]);
            var key = Heads(scores.Input[1], [0, 2, 3, 1]) ?? Heads(KeyTransposed(scores.Input[1]), [0, 2, 1, 3]);

            // The probabilities times the value heads, back to [B, S, H·d], into the output projection.
            if (query is null || key is null || editor.Consumers(softmax.Output[0]) is not [{ OpType: "MatMul" } context] || context.Input[0] != softmax.Output[0]
                || Heads(context.Input[1], [0, 2, 1, 3]) is not { } value)
            {
                return null;
            }

            Take(context, context.Output[0], 4, 1);
            if (Single(context.Output[0]) is not { OpType: "Transpose" } merge || !Perm(merge, [0, 2, 1, 3]))
            {
                return null;
            }

            Take(merge, merge.Output[0], 4, 2);
            if (Single(merge.Output[0]) is not { OpType: "Reshape" } flatten)
            {
                return null;
            }

            Take(flatten, flatten.Output[0], 3, 2);
            if (Single(flatten.Output[0]) is not { OpType: "MatMul" } output || output.Input[0] != flatten.Output[0]
                || editor.ConstantTensor(output.Input[1]) is not { DataType: (int)TensorProto.Types.DataType.Float } wo || wo.Dims.Count != 2)
            {
                return null;
            }

            nodes.Add(output);
            var heads = query.Value.Heads;
            var size = query.Value.Size;
            var width = heads * size;
            if (key.Value.Heads != heads || value.Heads != heads || key.Value.Size != size || value.Size != size || wo.Dims[0] != width
                || new[] { query.Value.Weight, key.Value.Weight, value.Weight }.Any(w => editor.ConstantTensor(w.Node.Input[1])!.Dims[1] != width)
                || Entry(flatten, 3, 2) is not { } merged || merged.Value != width)
            {
                return null;
            }

            shapes.Add(merged.Edit with { PerUnit = size });
            if (!Closed())
            {
                return null;
            }

            var model = editor.ConstantTensor(query.Value.Weight.Node.Input[1])!.Dims[0];
            return new UnitGroup
            {
                Producer = query.Value.Weight.Node,
                Weights = [query.Value.Weight, key.Value.Weight, value.Weight],
                Units = (int)heads,
                Width = (int)size,
                PerUnit = biases,
                Consumers = [new UnitSlice(output, 1, 0, (int)size)],
                ConsumedValues = [flatten.Output[0]],
                Values = inner.Select(v => v.Value).ToList(),
                ParametersPerUnit = (3 * (model + 1) * size) + (size * wo.Dims[1]),
                ShapeEdits = shapes,
                Broadcasts = broadcasts,
                Kind = "attention-heads",
            };
        }

        /// <summary>Walks back from the Softmax's input through scalar scaling and mask additions to q·kᵀ.</summary>
        private NodeProto? Scores(string value)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                var node = editor.Producer(value);
                if (node is null || node.Domain is not ("" or "ai.onnx"))
                {
                    return null;
                }

                Take(node, node.Output[0], 4, 1);
                if (node.OpType == "MatMul" && editor.ConstantTensor(node.Input[0]) is null && editor.ConstantTensor(node.Input[1]) is null)
                {
                    return node;
                }

                if (Scaled(node) is { } scaled)
                {
                    value = scaled;
                    continue;
                }

                if (node.OpType != "Add" || node.Input.Count != 2)
                {
                    return null;
                }

                // The mask: whichever operand does not lead back to q·kᵀ; a constant one must have size 1 along the heads.
                var path = editor.ConstantTensor(node.Input[1]) is null && LeadsToScores(node.Input[0]) == false ? 1 : 0;
                var mask = node.Input[1 - path];
                if (editor.ConstantTensor(mask) is { } constant)
                {
                    if (constant.Dims.Count >= 3 && constant.Dims[^3] != 1)
                    {
                        return null;
                    }
                }
                else
                {
                    broadcasts.Add(new BroadcastCheck(mask, 3));
                }

                value = node.Input[path];
            }

            return null;
        }

        /// <summary>Whether the value comes from a scaling chain ending in a MatMul of two computed values.</summary>
        private bool LeadsToScores(string value)
        {
            for (var depth = 0; depth < 8 && editor.Producer(value) is { } node; depth++)
            {
                if (node.OpType == "MatMul")
                {
                    return editor.ConstantTensor(node.Input[0]) is null && editor.ConstantTensor(node.Input[1]) is null;
                }

                if (Scaled(node) is not { } scaled)
                {
                    return false;
                }

                value = scaled;
            }

            return false;
        }

        /// <summary>A Mul or Div by a scalar constant: the other operand; else null.</summary>
        private string? Scaled(NodeProto node)
        {
            if (node.OpType is not ("Mul" or "Div") || node.Input.Count != 2 || node.Domain is not ("" or "ai.onnx"))
            {
                return null;
            }

            for (var k = node.OpType == "Div" ? 1 : 0; k < 2; k++)
            {
                if (editor.ConstantTensor(node.Input[k]) is { } c && UnitGroups.Elements(c) == 1 && editor.ConstantTensor(node.Input[1 - k]) is null)
                {
                    return node.Input[1 - k];
                }
            }

            return null;
        }

        /// <summary>The key's first transpose when it reaches q·kᵀ as [B, H, S, d] transposed by a second Transpose([0, 1, 3, 2]).</summary>
        private string KeyTransposed(string value)
        {
            if (editor.Producer(value) is not { } top)
            {
                return "";
            }

            Take(top, value, 4, 1);
            value = Unscaled(value, 4, 1);
            return editor.Producer(value) is { OpType: "Transpose" } swap && Perm(swap, [0, 1, 3, 2]) && Take(swap, swap.Input[0], 4, 1) ? swap.Input[0] : "";
        }

        /// <summary>Skips scalar scaling back from a heads value (recorded as inner values).</summary>
        private string Unscaled(string value, int rank, int axis)
        {
            for (var depth = 0; depth < 4 && editor.Producer(value) is { } node && Scaled(node) is { } scaled; depth++)
            {
                Take(node, scaled, rank, axis);
                value = scaled;
            }

            return value;
        }

        /// <summary>
        /// A heads value [B, H, ·, ·] back to its projection: (scalar scaling), Transpose(<paramref name="perm"/>), Reshape to
        /// [.., .., H, d], (bias Add), MatMul with constant weights. Null when the chain differs.
        /// </summary>
        private (UnitSlice Weight, long Heads, long Size)? Heads(string value, int[] perm)
        {
            if (value.Length == 0)
            {
                return null;
            }

            if (editor.Producer(value) is not { } top)
            {
                return null;
            }

            Take(top, value, 4, 1);
            value = Unscaled(value, 4, 1);
            if (editor.Producer(value) is not { OpType: "Transpose" } transpose || !Perm(transpose, perm) || !Take(transpose, transpose.Input[0], 4, 2)
                || editor.Producer(transpose.Input[0]) is not { OpType: "Reshape" } split || !Take(split, split.Input[0], 3, 2)
                || Entry(split, 4, 2) is not { } heads || Entry(split, 4, 3) is not { } size || heads.Value <= 0 || size.Value <= 0)
            {
                return null;
            }

            shapes.Add(heads.Edit with { PerUnit = 1 });
            var projected = split.Input[0];
            var width = heads.Value * size.Value;
            if (editor.Producer(projected) is { OpType: "Add" } add && add.Input.Count == 2)
            {
                var k = editor.ConstantTensor(add.Input[0]) is null ? 1 : 0;
                if (editor.ConstantTensor(add.Input[k]) is not { DataType: (int)TensorProto.Types.DataType.Float } bias
                    || bias.Dims.Count == 0 || bias.Dims[^1] != width || bias.Dims.Aggregate(1L, (a, d) => a * d) != width || !Take(add, add.Input[1 - k], 3, 2))
                {
                    return null;
                }

                biases.Add(new UnitSlice(add, k, bias.Dims.Count - 1, (int)size.Value));
                projected = add.Input[1 - k];
            }

            if (editor.Producer(projected) is not { OpType: "MatMul" } matmul || matmul.Domain is not ("" or "ai.onnx")
                || editor.ConstantTensor(matmul.Input[0]) is not null
                || editor.ConstantTensor(matmul.Input[1]) is not { DataType: (int)TensorProto.Types.DataType.Float } w || w.Dims.Count != 2 || w.Dims[1] != width)
            {
                return null;
            }

            nodes.Add(matmul);
            return (new UnitSlice(matmul, 1, 1, (int)size.Value), heads.Value, size.Value);
        }

        /// <summary>
        /// Entry <paramref name="position"/> of a Reshape's target of <paramref name="rank"/> entries, when that entry is a
        /// constant: its value and how to rewrite it.
        /// </summary>
        private (long Value, ShapeEdit Edit)? Entry(NodeProto reshape, int rank, int position)
        {
            var target = reshape.Input[1];
            if (editor.ConstantTensor(target) is { DataType: (int)TensorProto.Types.DataType.Int64 } constant)
            {
                var values = Values(constant);
                return values.Length == rank ? (values[position], new ShapeEdit(reshape, -1, position, 0)) : null;
            }

            if (editor.Producer(target) is not { OpType: "Concat" } concat || Tensors.IntAttribute(concat, "axis", 0) != 0)
            {
                return null;
            }

            var start = 0;
            (long, ShapeEdit)? found = null;
            for (var i = 0; i < concat.Input.Count; i++)
            {
                var piece = concat.Input[i];
                int length;
                if (editor.ConstantTensor(piece) is { DataType: (int)TensorProto.Types.DataType.Int64 } c && c.Dims.Count == 1)
                {
                    length = (int)c.Dims[0];
                    if (position >= start && position < start + length)
                    {
                        found = (Values(c)[position - start], new ShapeEdit(reshape, i, position - start, 0));
                    }
                }
                else if (editor.Producer(piece) is { OpType: "Unsqueeze" } unsqueeze && editor.Producer(unsqueeze.Input[0]) is { OpType: "Gather" } gather
                    && editor.ConstantTensor(gather.Input[1]) is { Dims.Count: 0 })
                {
                    length = 1; // a scalar dimension read off a Shape: the batch or sequence length
                }
                else
                {
                    return null;
                }

                start += length;
            }

            return start == rank ? found : null;
        }

        private static long[] Values(TensorProto tensor)
            => tensor.Int64Data.Count > 0 ? [.. tensor.Int64Data] : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();

        private static bool Perm(NodeProto transpose, int[] perm)
            => Tensors.Attribute(transpose, "perm") is { } p && p.Ints.SequenceEqual(perm.Select(x => (long)x));

        /// <summary>The only consumer of <paramref name="value"/> that is not a Shape read, else null.</summary>
        private NodeProto? Single(string value)
        {
            var readers = editor.Consumers(value).Where(n => n.OpType != "Shape").ToList();
            return readers.Count == 1 ? readers[0] : null;
        }

        /// <summary>Records a node of the pattern and the heads value it reads or writes; always true (for chaining).</summary>
        private bool Take(NodeProto node, string value, int rank, int axis)
        {
            nodes.Add(node);
            if (!inner.Any(v => v.Value == value))
            {
                inner.Add((value, rank, axis));
            }

            return true;
        }

        /// <summary>
        /// Nothing outside the pattern reads its inner values, except Shape nodes whose every reader is a Gather of a constant
        /// index on another axis (the batch or sequence length), and none is a graph output.
        /// </summary>
        private bool Closed()
        {
            foreach (var (value, rank, axis) in inner)
            {
                if (editor.IsGraphOutput(value) || editor.ConstantTensor(value) is not null)
                {
                    return false;
                }

                foreach (var reader in editor.Consumers(value))
                {
                    if (nodes.Contains(reader))
                    {
                        continue;
                    }

                    if (reader.OpType != "Shape" || Tensors.Attribute(reader, "start") is not null || Tensors.Attribute(reader, "end") is not null
                        || editor.Consumers(reader.Output[0]).Any(g => g.OpType != "Gather" || Tensors.IntAttribute(g, "axis", 0) != 0
                            || editor.ConstantTensor(g.Input[1]) is not { Dims.Count: 0 } index || Values(index) is not [var i] || (i < 0 ? i + rank : i) == axis)
                        || editor.IsGraphOutput(reader.Output[0]))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}
