using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Unstructured and N:M pruning: in every Conv, MatMul and Gemm with constant float weights, the smallest weights by
/// magnitude become zero — a share of each layer, or all but N of every M consecutive weights along the layer's input (a Conv
/// filter flattened, a MatMul column, a Gemm row), the layout DeepSeek.Torch's <c>MagnitudePruner</c> trains. Shapes stay;
/// the zeros shrink the shipped file through <see cref="SparseStoragePass"/>.
/// </summary>
internal static class MagnitudePruning
{
    /// <summary>Layers with fewer weights are left dense: their zeros would save nothing.</summary>
    public const int MinWeights = 64;

    /// <summary>A layer's weight as rows along its input: row r's j-th weight is at <c>Index(r, j)</c>.</summary>
    internal sealed record WeightRows(NodeProto Node, int Input, TensorProto Tensor, int Rows, int Length, bool Strided)
    {
        public int Index(int row, int j) => Strided ? (j * Rows) + row : (row * Length) + j;
    }

    /// <summary>Every prunable weight of the graph (each tensor once).</summary>
    public static IReadOnlyList<WeightRows> Targets(GraphEditor editor)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var targets = new List<WeightRows>();
        foreach (var node in editor.Graph.Node.Where(n => n.Domain is "" or "ai.onnx"))
        {
            var input = node.OpType switch { "Conv" or "MatMul" or "Gemm" when node.Input.Count > 1 => 1, _ => -1 };
            if (input < 0 || editor.ConstantTensor(node.Input[input]) is not { DataType: (int)TensorProto.Types.DataType.Float } w || !seen.Add(node.Input[input]))
            {
                continue;
            }

            var elements = w.Dims.Aggregate(1L, (a, d) => a * d);
            if (elements < MinWeights || elements > int.MaxValue || (node.OpType != "Conv" && w.Dims.Count != 2) || (node.OpType == "MatMul" && editor.ConstantTensor(node.Input[0]) is not null))
            {
                continue;
            }

            targets.Add(node.OpType switch
            {
                "Conv" => new WeightRows(node, input, w, (int)w.Dims[0], (int)(elements / w.Dims[0]), false),
                "Gemm" when Tensors.IntAttribute(node, "transB", 0) == 1 => new WeightRows(node, input, w, (int)w.Dims[0], (int)w.Dims[1], false),
                _ => new WeightRows(node, input, w, (int)w.Dims[1], (int)w.Dims[0], true),
            });
        }

        return targets;
    }

    /// <summary>
    /// Zeroes each target's weights (a share, or to <paramref name="pattern"/>); returns each layer's weights and non-zeros after.
    /// A model that arrives with layers already in the pattern (trained sparse: DeepSeek.Torch's <c>MagnitudePruner</c>) keeps
    /// its other layers dense: they were left dense on purpose.
    /// </summary>
    public static IReadOnlyList<PrunedLayer> Apply(OnnxModel model, GraphEditor editor, double fraction, NmPattern? pattern, CancellationToken cancellation)
    {
        var layers = new List<PrunedLayer>();
        var targets = Targets(editor);
        var trained = pattern is null ? [] : targets.Where(t => t.Length % pattern.M == 0 && Follows(Tensors.ReadFloats(t.Tensor, model), t, pattern)).ToHashSet();
        foreach (var target in targets)
        {
            cancellation.ThrowIfCancellationRequested();
            var name = target.Node.Input[target.Input];
            var data = Tensors.ReadFloats(target.Tensor, model);
            if (pattern is not null)
            {
                if (target.Length % pattern.M != 0 || (trained.Count > 0 && !trained.Contains(target)))
                {
                    layers.Add(new PrunedLayer(name, target.Length % pattern.M != 0 ? $"weights (dense: rows of {target.Length} do not split into groups of {pattern.M})"
                        : $"weights (dense: the model arrived with other layers already {pattern})", data.Length, NonZeros(data), 0));
                    continue;
                }

                if (trained.Contains(target))
                {
                    layers.Add(new PrunedLayer(name, $"weights (arrived {pattern})", data.Length, NonZeros(data), 0));
                    continue;
                }

                ZeroToPattern(data, target, pattern);
            }
            else
            {
                ZeroSmallest(data, fraction);
            }

            target.Node.Input[target.Input] = editor.AddInitializer(name + "_sparse", Tensors.Float(data, [.. target.Tensor.Dims]));
            foreach (var other in editor.Graph.Node.Where(n => n != target.Node))
            {
                for (var i = 0; i < other.Input.Count; i++)
                {
                    if (other.Input[i] == name)
                    {
                        other.Input[i] = target.Node.Input[target.Input]; // a weight shared by two nodes stays shared
                    }
                }
            }

            layers.Add(new PrunedLayer(name, "weights", data.Length, NonZeros(data), 0));
        }

        return layers;
    }

    private static long NonZeros(float[] data) => data.LongCount(v => v != 0);

    private static void ZeroSmallest(float[] data, double fraction)
    {
        var count = (int)Math.Round(data.Length * fraction);
        if (count <= 0)
        {
            return;
        }

        var order = new int[data.Length];
        var magnitudes = new float[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            order[i] = i;
            magnitudes[i] = Math.Abs(data[i]);
        }

        Array.Sort(magnitudes, order);
        for (var i = 0; i < count; i++)
        {
            data[order[i]] = 0;
        }
    }

    private static void ZeroToPattern(float[] data, WeightRows rows, NmPattern pattern)
    {
        Span<int> group = stackalloc int[pattern.M];
        for (var r = 0; r < rows.Rows; r++)
        {
            for (var start = 0; start < rows.Length; start += pattern.M)
            {
                for (var j = 0; j < pattern.M; j++)
                {
                    group[j] = rows.Index(r, start + j);
                }

                // keep the N largest: zero the M − N smallest
                for (var z = 0; z < pattern.M - pattern.N; z++)
                {
                    var smallest = -1;
                    for (var j = 0; j < pattern.M; j++)
                    {
                        if (group[j] >= 0 && (smallest < 0 || Math.Abs(data[group[j]]) < Math.Abs(data[group[smallest]])))
                        {
                            smallest = j;
                        }
                    }

                    data[group[smallest]] = 0;
                    group[smallest] = -1;
                }
            }
        }
    }

    /// <summary>Whether every group of M along the rows holds at most N non-zero weights.</summary>
    public static bool Follows(float[] data, WeightRows rows, NmPattern pattern)
    {
        for (var r = 0; r < rows.Rows; r++)
        {
            for (var start = 0; start < rows.Length; start += pattern.M)
            {
                var count = 0;
                for (var j = 0; j < pattern.M; j++)
                {
                    count += data[rows.Index(r, start + j)] != 0 ? 1 : 0;
                }

                if (count > pattern.N)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The N:M pattern the weights already follow along their input (the smallest N for M in 4, 8, 16, 32 where N ≤ M/2), or null.</summary>
    public static NmPattern? Detect(float[] data, WeightRows rows)
    {
        NmPattern? best = null;
        foreach (var m in new[] { 4, 8, 16, 32 })
        {
            if (rows.Length % m != 0)
            {
                continue;
            }

            var most = 0;
            for (var r = 0; r < rows.Rows && most <= m / 2; r++)
            {
                for (var start = 0; start < rows.Length; start += m)
                {
                    var count = 0;
                    for (var j = 0; j < m; j++)
                    {
                        count += data[rows.Index(r, start + j)] != 0 ? 1 : 0;
                    }

                    most = Math.Max(most, count);
                }
            }

            if (most <= m / 2 && (best is null || (double)Math.Max(most, 1) / m < (double)best.N / best.M))
            {
                best = new NmPattern(Math.Max(most, 1), m);
            }
        }

        return best;
    }
}
