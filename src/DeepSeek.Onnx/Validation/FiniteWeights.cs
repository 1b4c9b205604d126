using System.Buffers;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Validation;

/// <summary>One weight tensor that holds NaN or infinite values.</summary>
/// <param name="Name">The value name (for a Constant node, its output).</param>
/// <param name="Where">Where it is kept, in words: <c>initializer</c>, <c>Constant node</c>, <c>external data in 'w.bin'</c>...</param>
/// <param name="Type">Its element type and dims, <c>float[8,3,3,3]</c>.</param>
/// <param name="Elements">Its element count.</param>
/// <param name="Count">Its NaN and infinite values.</param>
public sealed record NonFiniteTensor(string Name, string Where, string Type, long Elements, NonFiniteCount Count);

/// <summary>
/// Finds NaN and infinity in a model's floating-point weights (float32, float16, bfloat16, float64): initializers inline or in
/// external files, sparse initializers, and Constant nodes, in every graph. External data is read in chunks of
/// <see cref="ChunkBytes"/>, and inline data is read where it lies, so memory stays bounded whatever the model's size.
/// </summary>
public static class FiniteWeights
{
    /// <summary>Bytes read from an external data file at a time (a multiple of every element size).</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Refuses a model whose weights are not all finite.</summary>
    /// <exception cref="DeepSeekException">DSB0023, naming the first such tensor and the totals.</exception>
    public static void Check(OnnxModel model)
    {
        var found = Find(model);
        if (found.Count == 0)
        {
            return;
        }

        var first = found[0];
        var problem = $"tensor {Names.Quote(first.Name)} ({first.Type}, {first.Where}) holds {Describe(first.Count)} among its {first.Elements} values";
        if (found.Count > 1)
        {
            var rest = found.Skip(1).Aggregate(default(NonFiniteCount), (sum, t) => sum + t.Count);
            problem += $"; {found.Count - 1} more tensor{(found.Count == 2 ? "" : "s")} hold {Describe(rest)}";
        }

        throw new DeepSeekException(DiagnosticIds.NonFiniteWeights, model.DisplayPath, problem);
    }

    /// <summary>Every floating-point weight tensor that holds NaN or infinite values, in graph order.</summary>
    public static IReadOnlyList<NonFiniteTensor> Find(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var found = new List<NonFiniteTensor>();
        void Add(TensorProto tensor, string name, string where)
        {
            if (NonFiniteCounter.ElementSize(tensor.DataType) == 0)
            {
                return;
            }

            var external = ExternalDataInfo.IsExternal(tensor);
            var count = Scan(tensor, model);
            if (count.Total > 0)
            {
                var location = external ? $"external data in {Names.Quote(ExternalDataInfo.Parse(tensor, model.DisplayPath).Location)}" : where;
                found.Add(new NonFiniteTensor(name, location, $"{DataTypes.Name(tensor.DataType)}[{string.Join(",", tensor.Dims)}]",
                    TensorData.ElementCount(tensor, model.DisplayPath), count));
            }
        }

        foreach (var graph in model.Graph.SelfAndDescendants())
        {
            var suffix = graph.GraphPath == "main" ? "" : $" in {graph.GraphPath}";
            foreach (var tensor in graph.Proto.Initializer)
            {
                Add(tensor, tensor.Name, "initializer" + suffix);
            }

            foreach (var sparse in graph.Proto.SparseInitializer.Where(s => s.Values is not null))
            {
                Add(sparse.Values, sparse.Values.Name, "sparse initializer" + suffix);
            }

            foreach (var node in graph.Proto.Node.Where(n => n.OpType == "Constant" && n.Domain is "" or "ai.onnx"))
            {
                var name = node.Output.Count > 0 ? node.Output[0] : node.Name;
                foreach (var attribute in node.Attribute)
                {
                    switch (attribute.Name)
                    {
                        case "value" when attribute.T is not null:
                            Add(attribute.T, name, "Constant node" + suffix);
                            break;
                        case "sparse_value" when attribute.SparseTensor?.Values is not null:
                            Add(attribute.SparseTensor.Values, name, "Constant node" + suffix);
                            break;
                        case "value_float" or "value_floats":
                            float[] values = attribute.Name == "value_float" ? [attribute.F] : [.. attribute.Floats];
                            var count = values.Aggregate(default(NonFiniteCount), (sum, v) => sum + NonFiniteCounter.Count(v));
                            if (count.Total > 0)
                            {
                                found.Add(new NonFiniteTensor(name, $"Constant node {attribute.Name}{suffix}", $"float[{values.Length}]", values.Length, count));
                            }

                            break;
                    }
                }
            }
        }

        return found;
    }

    private static NonFiniteCount Scan(TensorProto tensor, OnnxModel model)
    {
        var type = tensor.DataType;
        if (ExternalDataInfo.IsExternal(tensor))
        {
            return ScanExternal(tensor, model);
        }

        if (tensor.HasRawData)
        {
            return NonFiniteCounter.Count(tensor.RawData.Span, type);
        }

        var count = default(NonFiniteCount);
        switch (type)
        {
            case 1:
                foreach (var v in tensor.FloatData)
                {
                    count += NonFiniteCounter.Count(v);
                }

                break;
            case 11:
                foreach (var v in tensor.DoubleData)
                {
                    count += NonFiniteCounter.Count(v);
                }

                break;
            default:
                foreach (var v in tensor.Int32Data)
                {
                    count += NonFiniteCounter.CountHalf(v, type);
                }

                break;
        }

        return count;
    }

    private static NonFiniteCount ScanExternal(TensorProto tensor, OnnxModel model)
    {
        var size = NonFiniteCounter.ElementSize(tensor.DataType);
        var bytes = DataTypes.ByteSize(tensor.DataType, TensorData.ElementCount(tensor, model.DisplayPath));
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(bytes, size)));
        try
        {
            // Whole elements per chunk, so the counter never sees half a value.
            var count = default(NonFiniteCount);
            TensorData.ReadExternal(tensor, model.DataDirectoryOf(tensor), model.DisplayPath, buffer.AsSpan(0, buffer.Length / size * size),
                chunk => count += NonFiniteCounter.Count(chunk, tensor.DataType));
            return count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Describe(NonFiniteCount count)
    {
        var infinities = count.Infinity == 1 ? "1 infinity" : $"{count.Infinity} infinities";
        return count switch
        {
            { Infinity: 0 } => $"{count.NaN} NaN",
            { NaN: 0 } => infinities,
            _ => $"{count.NaN} NaN and {infinities}",
        };
    }
}
