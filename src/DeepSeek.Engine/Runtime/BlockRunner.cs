using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Runtime;

/// <summary>
/// Runs a model on a list of samples within a memory budget. A model whose weights fit runs as one ONNX Runtime session; a
/// larger one runs block by block: its nodes, in order, are cut into consecutive blocks whose weights stay under the budget,
/// each block becomes a small model of its own (its weights still in the model's external data, which ONNX Runtime maps), and
/// every sample goes through block 1, then block 2 fed block 1's values, and so on; a value is dropped after the last block
/// that reads it. The outputs are the model's outputs, computed whole: a model larger than memory is still run end to end.
/// Sessions open from a small proto whose weights stay on disk (never from the weights' bytes); a block whose weights are
/// mostly float runs without weight pre-packing, which would copy each MatMul weight into a packed layout (twice the memory),
/// while quantized blocks keep it: their kernels (MatMulNBits) fall back to dequantizing every weight on each call without it.
/// </summary>
public static class BlockRunner
{
    /// <summary>Session options that keep ONNX Runtime's memory down on float weights: no pre-packed copies of them.</summary>
    public static IReadOnlyDictionary<string, string> LowMemoryOptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["session.disable_prepacking"] = "1",
    };

    /// <summary>
    /// The outputs <paramref name="outputs"/> (all the model's when null) of <paramref name="model"/> (read from a file: its
    /// external data is relative to <see cref="OnnxModel.BaseDirectory"/>) on each sample, in blocks of at most
    /// <paramref name="blockBytes"/> bytes of weights.
    /// </summary>
    public static List<Dictionary<string, TensorValue>> Run(OnnxModel model, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        long blockBytes, IReadOnlyDictionary<string, string>? sessionOptions = null, IReadOnlyList<string>? outputs = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        var graph = model.Proto.Graph;
        var wanted = outputs ?? graph.Output.Select(o => o.Name).ToList();
        var blocks = Cut(graph, blockBytes);
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var reads = blocks.Select(b => b.SelectMany(n => Reads(n)).Where(v => v.Length > 0 && !initializers.Contains(v)).ToHashSet(StringComparer.Ordinal)).ToList();
        var lastRead = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < blocks.Count; b++)
        {
            foreach (var value in reads[b])
            {
                lastRead[value] = b;
            }
        }

        var live = samples.Select(s => new Dictionary<string, TensorValue>(s, StringComparer.Ordinal)).ToList();
        var types = graph.ValueInfo.Concat(graph.Output).Concat(graph.Input).Where(v => v.Type?.TensorType is not null)
            .GroupBy(v => v.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);
        for (var b = 0; b < blocks.Count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var produced = blocks[b].SelectMany(n => n.Output).Where(v => v.Length > 0).ToHashSet(StringComparer.Ordinal);
            var inputs = reads[b].Where(v => !produced.Contains(v)).Order(StringComparer.Ordinal).ToList();
            var keep = produced.Where(v => wanted.Contains(v) || lastRead.GetValueOrDefault(v, -1) > b).Order(StringComparer.Ordinal).ToList();
            progress?.Report($"running block {b + 1}/{blocks.Count} ({blocks[b].Count} nodes)");
            var proto = Block(model.Proto, blocks[b], inputs, keep, live[0], types);
            var options = new Dictionary<string, string>(MostlyFloat(proto.Graph) ? LowMemoryOptions : new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach (var (key, value) in sessionOptions ?? new Dictionary<string, string>())
            {
                options[key] = value;
            }

            using (var session = ModelSession.Open(proto.ToByteArray(), model.DisplayPath, options, dataFolder: model.BaseDirectory))
            {
                foreach (var values in live)
                {
                    var fed = inputs.ToDictionary(v => v, v => values[v], StringComparer.Ordinal);
                    foreach (var (name, value) in session.Run(fed, keep, model.DisplayPath))
                    {
                        values[name] = value;
                    }
                }
            }

            foreach (var values in live)
            {
                foreach (var name in values.Keys.Where(v => !wanted.Contains(v) && lastRead.GetValueOrDefault(v, -1) <= b).ToList())
                {
                    values.Remove(name);
                }
            }
        }

        return live.Select(values => wanted.ToDictionary(v => v, v => values[v], StringComparer.Ordinal)).ToList();
    }

    /// <summary>Whether most of the graph's weight bytes are float32 or float16.</summary>
    private static bool MostlyFloat(GraphProto graph)
    {
        var floats = graph.Initializer.Where(t => t.DataType is (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Float16).Sum(Bytes);
        return floats * 2 > graph.Initializer.Sum(Bytes);
    }

    /// <summary>A tensor's data bytes (0 for strings); the model was validated when read, so its dims are sound.</summary>
    private static long Bytes(TensorProto tensor) => Math.Max(0, DataTypes.ByteSize(tensor.DataType, TensorData.ElementCount(tensor, tensor.Name)));

    /// <summary>
    /// The graph's nodes, in order, cut into consecutive blocks: a block closes when the next node's weights would take it past
    /// <paramref name="blockBytes"/> (a node larger than that is a block of its own). One block when everything fits.
    /// </summary>
    internal static List<List<NodeProto>> Cut(GraphProto graph, long blockBytes)
    {
        var sizes = graph.Initializer.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Bytes(g.First()), StringComparer.Ordinal);
        var blocks = new List<List<NodeProto>> { new() };
        var held = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var node in graph.Node)
        {
            var weights = Reads(node).Where(sizes.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
            var added = weights.Where(v => !held.Contains(v)).Sum(v => sizes[v]);
            if (blocks[^1].Count > 0 && bytes + added > blockBytes)
            {
                blocks.Add([]);
                held.Clear();
                bytes = 0;
                added = weights.Sum(v => sizes[v]);
            }

            blocks[^1].Add(node);
            held.UnionWith(weights);
            bytes += added;
        }

        return blocks;
    }

    /// <summary>The values a node reads: its inputs and, for If/Loop/Scan, what its subgraphs read from the enclosing graph.</summary>
    private static IEnumerable<string> Reads(NodeProto node)
    {
        foreach (var input in node.Input)
        {
            yield return input;
        }

        foreach (var attribute in node.Attribute)
        {
            foreach (var subgraph in attribute.G is null ? attribute.Graphs : attribute.Graphs.Prepend(attribute.G))
            {
                foreach (var outer in OuterReads(subgraph))
                {
                    yield return outer;
                }
            }
        }
    }

    private static List<string> OuterReads(GraphProto graph)
    {
        var local = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)).Concat(graph.Node.SelectMany(n => n.Output))
            .ToHashSet(StringComparer.Ordinal);
        return graph.Node.SelectMany(Reads).Where(v => v.Length > 0 && !local.Contains(v)).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>A model of one block: its nodes, the initializers they read (external ones still point at the model's data
    /// files), the values it reads as inputs (typed from the samples' values) and the values later blocks need as outputs.</summary>
    private static ModelProto Block(ModelProto model, List<NodeProto> nodes, List<string> inputs, List<string> outputs,
        Dictionary<string, TensorValue> example, Dictionary<string, TypeProto> types)
    {
        var graph = new GraphProto { Name = model.Graph.Name + "_block" };
        graph.Node.AddRange(nodes);
        var reads = nodes.SelectMany(Reads).ToHashSet(StringComparer.Ordinal);
        graph.Initializer.AddRange(model.Graph.Initializer.Where(t => reads.Contains(t.Name)));
        foreach (var input in inputs)
        {
            graph.Input.Add(new ValueInfoProto { Name = input, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = example[input].ElementType } } });
        }

        foreach (var output in outputs)
        {
            graph.Output.Add(types.TryGetValue(output, out var type) ? new ValueInfoProto { Name = output, Type = type } : new ValueInfoProto { Name = output });
        }

        var block = new ModelProto { IrVersion = model.IrVersion, ProducerName = model.ProducerName, Graph = graph };
        block.OpsetImport.AddRange(model.OpsetImport);
        block.Functions.AddRange(model.Functions);
        return block;
    }
}
